package dev.petrel.engine;

import static dev.petrel.engine.Fixture.F32_CACHE;
import static dev.petrel.engine.Fixture.argmax;
import static dev.petrel.engine.Fixture.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.petrel.api.engine.LoadOptions;
import dev.petrel.api.engine.Model;
import dev.petrel.api.engine.Session;
import dev.petrel.api.kernel.KernelBackend;
import dev.petrel.api.weights.TensorType;
import java.nio.file.Path;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The engine's logits against the plain reference forward pass on small random models with
 * F32 weights and an F32 cache, on both Java backends.
 */
class ForwardPassTest {

    private static final float TOLERANCE = 1e-4f;
    private static final int[] PROMPT = {TinyModel.BOS, 72, 101, 108, 108, 111, 44, 32, 119, 111, 256, 33};

    @TempDir
    static Path dir;
    private static KernelBackend scalar;
    private static KernelBackend vector;

    @BeforeAll
    static void start() {
        scalar = Fixture.backend("java-scalar");
        vector = Fixture.backend("java");
    }

    @AfterAll
    static void stop() {
        Fixture.shutdown(scalar);
        Fixture.shutdown(vector);
    }

    static Stream<Arguments> models() {
        Supplier<TinyModel> llama = TinyModel::llama;
        Supplier<TinyModel> llamaTied = () -> {
            TinyModel m = TinyModel.llama();
            m.tensors.remove("output.weight");
            return m;
        };
        Supplier<TinyModel> llamaRopeFreqs = () -> TinyModel.llama().withRopeFreqs();
        Supplier<TinyModel> qwen2 = TinyModel::qwen2;
        Supplier<TinyModel> qwen3 = TinyModel::qwen3;
        return Stream.of("java-scalar", "java").flatMap(b -> Stream.of(
                Arguments.of("llama", llama, b),
                Arguments.of("llama-tied", llamaTied, b),
                Arguments.of("llama-rope-freqs", llamaRopeFreqs, b),
                Arguments.of("qwen2", qwen2, b),
                Arguments.of("qwen3", qwen3, b)));
    }

    private static KernelBackend named(String backend) {
        return backend.equals("java") ? vector : scalar;
    }

    @ParameterizedTest(name = "{0} on {2}")
    @MethodSource("models")
    void logits_matchTheReferenceForwardPass(String name, Supplier<TinyModel> build, String backend) throws Exception {
        TinyModel m = build.get();
        Path file = m.write(dir, name + "-" + backend + ".gguf");
        try (Model model = Fixture.engine(named(backend)).load(file, F32_CACHE); Session session = model.openSession()) {
            assertEquals(backend, model.backend());
            ReferenceDecoder reference = new ReferenceDecoder(m);
            float[][] want = reference.run(PROMPT);
            float[][] got = session.processAll(PROMPT);
            for (int t = 0; t < PROMPT.length; t++) {
                assertClose(want[t], got[t], TOLERANCE, name + " prompt position " + t);
            }
            // then decoding, one token per step
            int next = argmax(got[PROMPT.length - 1]);
            for (int step = 0; step < 6; step++) {
                float[] logits = session.process(new int[] {next});
                assertClose(reference.next(next), logits, TOLERANCE, name + " decode step " + step);
                next = argmax(logits);
            }
        }
    }

    @ParameterizedTest(name = "on {0}")
    @MethodSource("backends")
    void batchedPrompt_equalsTokenByToken(String backend) throws Exception {
        Path file = TinyModel.qwen2().write(dir, "batch-" + backend + ".gguf");
        try (Model model = Fixture.engine(named(backend)).load(file, F32_CACHE);
                Session batched = model.openSession();
                Session single = model.openSession()) {
            float[][] all = batched.processAll(PROMPT);
            for (int t = 0; t < PROMPT.length; t++) {
                assertClose(all[t], single.process(new int[] {PROMPT[t]}), TOLERANCE, "position " + t);
            }
        }
    }

    static Stream<String> backends() {
        return Stream.of("java-scalar", "java");
    }

    @Test
    void promptInSeveralBatches_equalsOneBatch() throws Exception {
        Path file = TinyModel.llama().write(dir, "chunks.gguf");
        try (Model model = Fixture.engine(vector).load(file, F32_CACHE); Session whole = model.openSession()) {
            float[][] expected = whole.processAll(PROMPT);
            ((LoadedModel) model).batchLimit(5);
            try (Session chunked = model.openSession()) {
                float[][] got = chunked.processAll(PROMPT);
                for (int t = 0; t < PROMPT.length; t++) {
                    assertClose(expected[t], got[t], TOLERANCE, "position " + t);
                }
                assertEquals(PROMPT.length, chunked.position());
            }
        }
    }

    @Test
    void f16Cache_staysCloseToF32() throws Exception {
        TinyModel m = TinyModel.qwen3();
        Path file = m.write(dir, "f16-cache.gguf");
        try (Model model = Fixture.engine(vector).load(file, LoadOptions.DEFAULTS); Session s = model.openSession()) {
            float[][] want = new ReferenceDecoder(m).run(PROMPT);
            float[][] got = s.processAll(PROMPT);
            for (int t = 0; t < PROMPT.length; t++) {
                assertClose(want[t], got[t], 2e-2f, "position " + t);
            }
        }
    }

    @Test
    void llama3ScalingKeys_actAsTheRopeFreqsTensor() throws Exception {
        int pairs = 8;   // head length 16
        float[] factors = llama3Factors(pairs * 2, 10000, 4, 1, 4, 16);
        TinyModel withTensor = TinyModel.llama();
        withTensor.tensors.put("rope_freqs.weight",
                new TinyModel.Weight(TensorType.F32, new long[] {pairs}, factors));
        TinyModel withKeys = TinyModel.llama().meta(w -> w
                .put("llama.rope.scaling.type", "llama3")
                .putFloat32("llama.rope.scaling.factor", 4)
                .putFloat32("llama.rope.scaling.low_freq_factor", 1)
                .putFloat32("llama.rope.scaling.high_freq_factor", 4)
                .putUint32("llama.rope.scaling.original_context_length", 16));
        float[][] want = new ReferenceDecoder(withTensor).run(PROMPT);
        try (Model model = Fixture.engine(vector).load(withKeys.write(dir, "llama3-keys.gguf"), F32_CACHE);
                Session s = model.openSession()) {
            float[][] got = s.processAll(PROMPT);
            for (int t = 0; t < PROMPT.length; t++) {
                assertClose(want[t], got[t], TOLERANCE, "position " + t);
            }
        }
    }

    /** Meta's Llama 3 rule, as frequency divisors. */
    private static float[] llama3Factors(int dims, double base, double factor, double low, double high, double original) {
        float[] out = new float[dims / 2];
        for (int i = 0; i < out.length; i++) {
            double wavelength = 2 * Math.PI / Math.pow(base, -2.0 * i / dims);
            if (wavelength < original / high) {
                out[i] = 1;
            } else if (wavelength > original / low) {
                out[i] = (float) factor;
            } else {
                double smooth = (original / wavelength - low) / (high - low);
                out[i] = (float) (1 / ((1 - smooth) / factor + smooth));
            }
        }
        return out;
    }
}
