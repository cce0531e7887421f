package dev.petrel.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.petrel.api.ModelFormatException;
import dev.petrel.api.engine.LoadOptions;
import dev.petrel.api.engine.Model;
import dev.petrel.api.engine.ModelConfig;
import dev.petrel.api.engine.Session;
import dev.petrel.api.weights.Metadata;
import dev.petrel.api.weights.TensorInfo;
import dev.petrel.api.weights.TensorType;
import dev.petrel.api.weights.WeightSource;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.api.Test;
import dev.petrel.conformance.Arch;
import dev.petrel.conformance.HfFolderWriter;
import dev.petrel.conformance.ModelSpec;
import dev.petrel.conformance.RandomModel;
import dev.petrel.conformance.RandomModels;
import dev.petrel.kernels.java.HostBackend;
import dev.petrel.kernels.java.ScalarKernelBackend;
import dev.petrel.kernels.java.VectorKernelBackend;
import dev.petrel.loader.safetensors.provider.SafetensorsWeightSourceProvider;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The same random weights as a GGUF file and as a Hugging Face folder give the same greedy
 * tokens through the engine. BF16 folders hold the GGUF file's BF16 matrices bit for bit (after
 * the Llama q/k permutation the loader undoes), so their logits are identical; FP8 folders hold
 * block-scaled E4M3 matrices whose GGUF twin is their exact dequantization in F32, so only the
 * rounding of the sums differs: logits within {@link #FP8_TOLERANCE}.
 */
class SafetensorsTwinTest {

    /** |Δlogit| allowed between an FP8 folder (scales applied per block) and its F32 twin. */
    static final float FP8_TOLERANCE = 1e-3f;
    static final int STEPS = 24;
    static final int[] PROMPT = {3, 70, 101, 280, 17, 9, 44};

    private static HostBackend vector;
    private static HostBackend scalar;

    @TempDir
    static Path dir;

    @BeforeAll
    static void backends() {
        vector = VectorKernelBackend.standalone(2);
        scalar = ScalarKernelBackend.standalone();
    }

    @AfterAll
    static void shutdown() {
        vector.shutdown(Duration.ofSeconds(1));
        scalar.shutdown(Duration.ofSeconds(1));
    }

    /** The engine of {@link Fixture} with the safetensors reader too. */
    static PetrelEngine engine(HostBackend backend) {
        PetrelEngine engine = Fixture.engine(backend);
        engine.addProvider(new SafetensorsWeightSourceProvider());
        return engine;
    }

    static Stream<Arguments> twins() {
        // width 256 with 64-wide heads: q/k rows of several heads, FP8 blocks across several heads and rows
        return Stream.of(
                Arguments.of(Arch.LLAMA, TensorType.BF16, false, 1, "java"),
                Arguments.of(Arch.LLAMA, TensorType.BF16, true, 3, "java"),
                Arguments.of(Arch.QWEN2, TensorType.BF16, false, 2, "java"),
                Arguments.of(Arch.QWEN3, TensorType.BF16, true, 1, "java"),
                Arguments.of(Arch.LLAMA, TensorType.F8_E4M3, false, 1, "java"),
                Arguments.of(Arch.LLAMA, TensorType.F8_E4M3, true, 2, "java-scalar"),
                Arguments.of(Arch.QWEN2, TensorType.F8_E4M3, false, 1, "java"),
                Arguments.of(Arch.QWEN2, TensorType.F8_E4M3, false, 1, "java-scalar"));
    }

    @ParameterizedTest(name = "{0} {1} bf16 vectors {2}, {3} shards, {4}")
    @MethodSource("twins")
    void folder_givesTheTokensOfItsGgufTwin(Arch arch, TensorType matrices, boolean bf16Vectors, int shards,
            String backendName) throws Exception {
        ModelSpec spec = ModelSpec.of(arch).withType(TensorType.BF16).withSeed(7 + arch.ordinal());
        RandomModel model = RandomModels.generate(spec);
        String name = arch.ggufName() + "-" + matrices + "-" + bf16Vectors + "-" + shards + "-" + backendName;
        HfFolderWriter.Result written = HfFolderWriter.write(model, dir.resolve(name),
                new HfFolderWriter.Options(matrices, bf16Vectors, shards));
        Path gguf = written.twin().writeGguf(dir.resolve(name + ".gguf"));

        PetrelEngine engine = engine(backendName.equals("java") ? vector : scalar);
        LoadOptions options = new LoadOptions(0, TensorType.F32, null);
        try (Model reference = engine.load(gguf, options); Model folder = engine.load(written.folder(), options)) {
            ModelConfig a = reference.config();
            ModelConfig b = folder.config();
            // the same configuration from config.json as from the GGUF keys, the model's name aside
            assertEquals(a, new ModelConfig(a.architecture(), a.name(), b.vocabularySize(), b.contextLength(),
                    b.embeddingLength(), b.blockCount(), b.feedForwardLength(), b.normEps(), b.attention(), b.moe()));
            assertEquals(a.architecture(), b.architecture());
            float[][] want = greedy(reference);
            float[][] got = greedy(folder);
            int[] wantIds = ids(want);
            int[] gotIds = ids(got);
            float max = 0;
            for (int i = 0; i < want.length; i++) {
                for (int v = 0; v < want[i].length; v++) {
                    max = Math.max(max, Math.abs(want[i][v] - got[i][v]));
                }
            }
            System.out.printf("twin %s: %d greedy ids equal: %b, max |dlogit| %.3g%n", name, STEPS,
                    java.util.Arrays.equals(wantIds, gotIds), max);
            assertArrayEquals(wantIds, gotIds, name + ": greedy tokens");
            if (matrices == TensorType.BF16) {
                assertEquals(0f, max, name + ": the same BF16 bytes give the same logits");
            } else {
                assertTrue(max <= FP8_TOLERANCE, name + ": max |dlogit| " + max + " > " + FP8_TOLERANCE);
                assertTrue(max > 0f, name + ": block-scaled sums round differently from F32 ones; identical logits "
                        + "would mean the FP8 path was not taken");
            }
        }
    }

    @Test
    void fp8Weight_withoutScales_isRefusedNamingTheTensor() throws Exception {
        RandomModel model = RandomModels.generate(ModelSpec.of(Arch.QWEN2).withType(TensorType.BF16));
        Path folder = HfFolderWriter.write(model, dir.resolve("noscales"),
                new HfFolderWriter.Options(TensorType.F8_E4M3, false, 1)).folder();
        PetrelEngine engine = engine(vector);
        try (WeightSource real = new SafetensorsWeightSourceProvider().open(folder)) {
            // a source that lists FP8 weights but offers no scales for them
            WeightSource withoutScales = new WeightSource() {
                @Override
                public String location() {
                    return real.location();
                }

                @Override
                public String format() {
                    return real.format();
                }

                @Override
                public Metadata metadata() {
                    return real.metadata();
                }

                @Override
                public List<TensorInfo> tensors() {
                    return real.tensors();
                }

                @Override
                public MemorySegment data(TensorInfo tensor) {
                    return real.data(tensor);
                }

                @Override
                public void close() {
                }
            };
            ModelFormatException e = assertThrows(ModelFormatException.class,
                    () -> engine.load(withoutScales, new LoadOptions(0, TensorType.F32, null)));
            assertTrue(e.getMessage().startsWith(folder + ": blk.0.attn_q.weight: an F8_E4M3 weight needs its block "
                    + "scales (weight_scale_inv)"), e.getMessage());
        }
    }

    /** Logits of the prompt's last token and of each greedy step after it. */
    static float[][] greedy(Model model) {
        float[][] out = new float[STEPS][];
        try (Session session = model.openSession()) {
            float[] logits = session.process(PROMPT);
            for (int i = 0; i < STEPS; i++) {
                out[i] = logits;
                if (i + 1 < STEPS) {
                    logits = session.process(new int[] {argmax(logits)});
                }
            }
        }
        return out;
    }

    static int[] ids(float[][] logits) {
        int[] ids = new int[logits.length];
        for (int i = 0; i < logits.length; i++) {
            ids[i] = argmax(logits[i]);
        }
        return ids;
    }

    static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }
}
