package dev.petrel.engine;

import dev.petrel.api.engine.LoadOptions;
import dev.petrel.api.engine.Model;
import dev.petrel.api.engine.Session;
import dev.petrel.api.kernel.KernelBackend;
import dev.petrel.api.weights.TensorType;
import dev.petrel.conformance.Arch;
import dev.petrel.conformance.ConformanceCheck;
import dev.petrel.conformance.Distribution;
import dev.petrel.conformance.Generation;
import dev.petrel.conformance.LlamaCppReference;
import dev.petrel.conformance.LogitsSource;
import dev.petrel.conformance.ModelSpec;
import dev.petrel.conformance.RandomModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Petrel's engine against llama.cpp itself on random-weight models written by the project:
 * F32 — identical greedy ids for 32 steps and max |Δlogit| ≤ 1e-3 over the top 10;
 * quantized — teacher-forced on the same 64 ids, top-1 equal at ≥ 99% of positions and
 * max |Δlogit| ≤ 0.05 (the criteria live in {@link ConformanceCheck}).
 */
class LlamaCppConformanceTest {

    @TempDir
    static Path models;

    static LlamaCppReference llama;

    @BeforeAll
    static void startReference() {
        llama = LlamaCppReference.start();
    }

    @AfterAll
    static void stopReference() {
        if (llama != null) {
            llama.close();
        }
    }

    static Stream<Arguments> models() {
        List<Arguments> cases = new ArrayList<>();
        for (Arch arch : Arch.values()) {
            ModelSpec base = ModelSpec.of(arch);
            // F32 on both Java backends: the scalar reference and the Vector API one.
            for (String backend : List.of("java-scalar", "java")) {
                cases.add(Arguments.of(base, backend));
            }
            cases.add(Arguments.of(base.withVocab(1001).tied(), "java"));
            // GQA ratio 2 with head dim 128, and ratio 4 (8 query heads over 2 KV heads).
            cases.add(Arguments.of(base.withShape(256, 2, 2, 1, 128, 512), "java"));
            cases.add(Arguments.of(base.withShape(512, 2, 8, 2, 64, 512), "java"));
            for (TensorType type : List.of(TensorType.F16, TensorType.BF16, TensorType.Q8_0, TensorType.Q4_0)) {
                cases.add(Arguments.of(base.withType(type), "java"));
            }
        }
        cases.add(Arguments.of(ModelSpec.of(Arch.LLAMA).withRopeScaling(ModelSpec.Llama3RopeScaling.llama31()), "java"));
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("models")
    void engine_matchesLlamaCpp(ModelSpec spec, String backendName) throws Exception {
        Path file = RandomModels.write(spec, models.resolve(spec.name() + ".gguf"));
        KernelBackend backend = Fixture.backend(backendName);
        PetrelEngine engine = Fixture.engine(backend);
        try (LlamaCppReference.Model reference = llama.load(file);
                Model model = engine.load(file, new LoadOptions(0, TensorType.F32, null))) {
            int[] prompt = ConformanceCheck.randomIds(0, spec.vocabSize(), 8, 1);
            ConformanceCheck.check(reference, new EngineLogits(model), prompt, spec.weightType()).assertPassed();
        } finally {
            Fixture.shutdown(backend);
        }
    }

    /** The engine as a source of logits: greedy steps and teacher forcing. */
    record EngineLogits(Model model) implements LogitsSource {
        @Override
        public Generation greedy(int[] prompt, int steps) {
            try (Session session = model.openSession()) {
                List<Distribution> distributions = new ArrayList<>();
                int[] ids = new int[steps];
                float[] logits = session.process(prompt);
                for (int i = 0; i < steps; i++) {
                    distributions.add(Distribution.ofLogits(logits, 10));
                    ids[i] = argmax(logits);
                    if (i + 1 < steps) {
                        logits = session.process(new int[] {ids[i]});
                    }
                }
                return new Generation(ids, distributions);
            }
        }

        @Override
        public List<Distribution> teacherForced(int[] ids) {
            try (Session session = model.openSession()) {
                List<Distribution> distributions = new ArrayList<>();
                for (float[] logits : session.processAll(ids)) {
                    distributions.add(Distribution.ofLogits(logits, 10));
                }
                return distributions;
            }
        }

        @Override
        public String describe() {
            return "petrel on " + model.backend();
        }

        private static int argmax(float[] logits) {
            int best = 0;
            for (int i = 1; i < logits.length; i++) {
                if (logits[i] > logits[best]) {
                    best = i;
                }
            }
            return best;
        }
    }
}
