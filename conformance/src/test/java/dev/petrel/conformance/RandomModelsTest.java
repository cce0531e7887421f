package dev.petrel.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.petrel.api.weights.TensorInfo;
import dev.petrel.api.weights.TensorType;
import dev.petrel.loader.gguf.GgufFile;
import dev.petrel.loader.gguf.GgufValueType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The random models themselves, read back with the project's GGUF reader; no llama.cpp needed. */
class RandomModelsTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(Arch.class)
    void write_givesTheKeysLlamaCppReads(Arch arch) throws Exception {
        ModelSpec spec = ModelSpec.of(arch);
        try (GgufFile file = GgufFile.open(RandomModels.write(spec, dir.resolve("m.gguf")))) {
            var md = file.metadata();
            String a = arch.ggufName();
            assertEquals(a, md.string("general.architecture"));
            assertEquals(0, md.integer("general.file_type"));
            Map<String, Long> expected = new TreeMap<>(Map.ofEntries(
                    Map.entry(a + ".vocab_size", 515L),
                    Map.entry(a + ".context_length", 4096L),
                    Map.entry(a + ".embedding_length", 256L),
                    Map.entry(a + ".block_count", 2L),
                    Map.entry(a + ".feed_forward_length", 512L),
                    Map.entry(a + ".attention.head_count", 4L),
                    Map.entry(a + ".attention.head_count_kv", 2L),
                    Map.entry(a + ".attention.key_length", 64L),
                    Map.entry(a + ".attention.value_length", 64L),
                    Map.entry(a + ".rope.dimension_count", 64L)));
            expected.forEach((key, value) -> {
                assertEquals(GgufValueType.UINT32, md.type(key), key);
                assertEquals(value, md.integer(key), key);
            });
            assertEquals(GgufValueType.FLOAT32, md.type(a + ".rope.freq_base"));
            assertEquals(arch.defaultRopeBase(), (float) md.number(a + ".rope.freq_base"));
            assertEquals(arch.defaultRmsEps(), (float) md.number(a + ".attention.layer_norm_rms_epsilon"));
            assertEquals("gpt2", md.string("tokenizer.ggml.model"));
            assertEquals(arch.preTokenizer(), md.string("tokenizer.ggml.pre"));
            assertEquals(515, md.strings("tokenizer.ggml.tokens").size());
            assertEquals(GgufValueType.INT32, md.elementType("tokenizer.ggml.token_type").orElseThrow());
            assertFalse(md.strings("tokenizer.ggml.merges").isEmpty());
            assertTrue(md.integer("tokenizer.ggml.bos_token_id") < 515);
            assertTrue(md.integer("tokenizer.ggml.eos_token_id") < 515);
        }
    }

    @ParameterizedTest
    @EnumSource(Arch.class)
    void write_givesTheTensorsOfTheArchitecture(Arch arch) throws Exception {
        ModelSpec spec = ModelSpec.of(arch).withShape(256, 2, 4, 2, 64, 512);
        try (GgufFile file = GgufFile.open(RandomModels.write(spec, dir.resolve("m.gguf")))) {
            Map<String, TensorInfo> t = new TreeMap<>();
            file.tensors().forEach(info -> t.put(info.name(), info));
            assertShape(t, "token_embd.weight", TensorType.F32, 256, 515);
            assertShape(t, "output_norm.weight", TensorType.F32, 256);
            assertShape(t, "output.weight", TensorType.F32, 256, 515);
            for (int i = 0; i < 2; i++) {
                String b = "blk." + i + ".";
                assertShape(t, b + "attn_norm.weight", TensorType.F32, 256);
                assertShape(t, b + "attn_q.weight", TensorType.F32, 256, 256);
                assertShape(t, b + "attn_k.weight", TensorType.F32, 256, 128);
                assertShape(t, b + "attn_v.weight", TensorType.F32, 256, 128);
                assertShape(t, b + "attn_output.weight", TensorType.F32, 256, 256);
                assertShape(t, b + "ffn_norm.weight", TensorType.F32, 256);
                assertShape(t, b + "ffn_gate.weight", TensorType.F32, 256, 512);
                assertShape(t, b + "ffn_up.weight", TensorType.F32, 256, 512);
                assertShape(t, b + "ffn_down.weight", TensorType.F32, 512, 256);
                if (arch == Arch.QWEN2) {
                    assertShape(t, b + "attn_q.bias", TensorType.F32, 256);
                    assertShape(t, b + "attn_k.bias", TensorType.F32, 128);
                    assertShape(t, b + "attn_v.bias", TensorType.F32, 128);
                }
                if (arch == Arch.QWEN3) {
                    assertShape(t, b + "attn_q_norm.weight", TensorType.F32, 64);
                    assertShape(t, b + "attn_k_norm.weight", TensorType.F32, 64);
                }
            }
            int perLayer = 9 + (arch == Arch.QWEN2 ? 3 : 0) + (arch == Arch.QWEN3 ? 2 : 0);
            assertEquals(3 + 2 * perLayer, t.size(), "tensors: " + t.keySet());
        }
    }

    @Test
    void write_tiedLeavesOutTheOutputMatrix() throws Exception {
        try (GgufFile file = GgufFile.open(RandomModels.write(ModelSpec.of(Arch.QWEN3).tied(), dir.resolve("m.gguf")))) {
            assertTrue(file.tensor("output.weight").isEmpty());
            assertTrue(file.tensor("token_embd.weight").isPresent());
        }
    }

    @Test
    void write_llama3ScalingAddsRopeFreqs() throws Exception {
        ModelSpec.Llama3RopeScaling scaling = ModelSpec.Llama3RopeScaling.llama31();
        ModelSpec spec = ModelSpec.of(Arch.LLAMA).withShape(256, 1, 2, 2, 128, 256).withRopeFreqBase(500000f)
                .withRopeScaling(scaling);
        try (GgufFile file = GgufFile.open(RandomModels.write(spec, dir.resolve("m.gguf")))) {
            TensorInfo info = file.tensor("rope_freqs.weight").orElseThrow();
            assertEquals(TensorType.F32, info.type());
            assertArrayEquals(new long[] {64}, info.dims());
            // no scaling keys: llama.cpp would apply linear scaling on top of the divisors
            assertFalse(file.metadata().contains("llama.rope.scaling.type"));
            assertFalse(file.metadata().contains("llama.rope.scaling.factor"));
        }
        float[] d = scaling.frequencyDivisors(128, 500000f);
        assertEquals(1f, d[0]); // the fastest rotation keeps its frequency
        assertEquals(8f, d[63]); // the slowest is divided by the factor
        for (int i = 1; i < d.length; i++) {
            assertTrue(d[i] >= d[i - 1], "divisors grow with the wavelength");
        }
    }

    @ParameterizedTest
    @EnumSource(value = TensorType.class, names = {"F16", "BF16", "Q8_0", "Q4_0"})
    void write_storesMatricesInTheWeightTypeAndVectorsInF32(TensorType type) throws Exception {
        ModelSpec spec = ModelSpec.of(Arch.QWEN2).withType(type);
        try (GgufFile file = GgufFile.open(RandomModels.write(spec, dir.resolve("m.gguf")))) {
            for (TensorInfo info : file.tensors()) {
                TensorType expected = info.rank() == 1 ? TensorType.F32 : type;
                assertEquals(expected, info.type(), info.name());
                assertEquals(expected.rowBytes(info.dim(0)) * info.rows(), info.byteSize(), info.name());
            }
            assertEquals(RandomModels.fileType(type), file.metadata().integer("general.file_type"));
        }
    }

    @Test
    void generate_isDeterministicForASeed() throws Exception {
        ModelSpec spec = ModelSpec.of(Arch.LLAMA);
        byte[] a = Files.readAllBytes(RandomModels.write(spec, dir.resolve("a.gguf")));
        byte[] b = Files.readAllBytes(RandomModels.write(spec, dir.resolve("b.gguf")));
        byte[] c = Files.readAllBytes(RandomModels.write(spec.withSeed(2), dir.resolve("c.gguf")));
        assertArrayEquals(a, b);
        assertFalse(java.util.Arrays.equals(a, c));
    }

    @Test
    void generate_sameValuesWhateverTheWeightType() {
        float[] f32 = RandomModels.generate(ModelSpec.of(Arch.LLAMA)).tensor("blk.1.ffn_up.weight").values();
        RandomModel q8 = RandomModels.generate(ModelSpec.of(Arch.LLAMA).withType(TensorType.Q8_0));
        assertArrayEquals(f32, q8.tensor("blk.1.ffn_up.weight").values());
        assertEquals(TensorType.Q8_0, q8.tensor("blk.1.ffn_up.weight").type());
    }

    @Test
    void generate_drawsMatricesWithStdOneOverSqrtFanIn() {
        RandomModel m = RandomModels.generate(ModelSpec.of(Arch.LLAMA).withShape(256, 1, 4, 2, 64, 1024));
        assertStd(m.tensor("blk.0.ffn_gate.weight").values(), 0, 1 / Math.sqrt(256));
        assertStd(m.tensor("blk.0.ffn_down.weight").values(), 0, 1 / Math.sqrt(1024));
        assertStd(m.tensor("blk.0.attn_norm.weight").values(), 1, 0.1);
        // different tensors draw different values
        assertNotEquals(m.tensor("blk.0.ffn_gate.weight").values()[0], m.tensor("blk.0.ffn_up.weight").values()[0]);
    }

    @Test
    void vocab_hasTheExactSizeUniqueTokensAndConsistentMerges() {
        for (int size : new int[] {260, 333, 515, 1001, 4099}) {
            ByteLevelVocab v = ByteLevelVocab.build(size, RandomModels.QWEN_SPECIALS);
            assertEquals(size, v.size());
            assertEquals(size, new HashSet<>(v.tokens()).size(), "tokens are unique");
            Set<String> tokens = new HashSet<>(v.tokens());
            for (String merge : v.merges()) {
                String[] parts = merge.split(" ");
                assertEquals(2, parts.length, merge);
                assertTrue(tokens.contains(parts[0]) && tokens.contains(parts[1]) && tokens.contains(parts[0] + parts[1]),
                        "merge " + merge + " joins two tokens into a token");
            }
            for (int b = 0; b < 256; b++) {
                assertEquals(String.valueOf(ByteLevelVocab.byteChar(b)), v.tokens().get(b));
                assertEquals(ByteLevelVocab.NORMAL, v.types()[b]);
            }
            for (String special : RandomModels.QWEN_SPECIALS) {
                assertEquals(ByteLevelVocab.CONTROL, v.types()[v.special(special)]);
            }
        }
    }

    @Test
    void vocab_learnsMergesOfTheText() {
        ByteLevelVocab v = ByteLevelVocab.build(515, RandomModels.LLAMA_SPECIALS);
        assertTrue(v.merges().size() > 100, "merges: " + v.merges().size());
        assertTrue(v.tokens().contains("Ġthe"), "a frequent word is one token");
        assertEquals('Ġ', ByteLevelVocab.byteChar(' '));
        assertEquals('Ċ', ByteLevelVocab.byteChar('\n'));
        assertEquals('a', ByteLevelVocab.byteChar('a'));
        assertEquals("Ã©", ByteLevelVocab.byteLevel("é")); // UTF-8 C3 A9, both printable Latin-1
    }

    @Test
    void spec_rejectsShapesLlamaCppCannotLoad() {
        ModelSpec base = ModelSpec.of(Arch.QWEN2);
        var e = assertThrows(IllegalArgumentException.class, () -> base.withShape(256, 2, 4, 2, 128, 512));
        assertTrue(e.getMessage().contains("qwen2 needs heads × headDim == dim"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> base.withShape(256, 2, 4, 3, 64, 512)); // 4 % 3
        assertThrows(IllegalArgumentException.class, () -> base.withVocab(100));
        var q = assertThrows(IllegalArgumentException.class, () -> base.withType(TensorType.Q8_0).withShape(256, 2, 4, 2, 64, 500));
        assertTrue(q.getMessage().contains("multiples"), q.getMessage());
        assertThrows(IllegalArgumentException.class, () -> base.withRopeScaling(ModelSpec.Llama3RopeScaling.llama31()));
        assertThrows(IllegalArgumentException.class, () -> base.withType(TensorType.Q6_K));
        // llama and qwen3 size attention by heads × headDim, which may differ from the width
        ModelSpec.of(Arch.QWEN3).withShape(256, 2, 4, 2, 128, 512);
        ModelSpec.of(Arch.LLAMA).withShape(256, 2, 4, 1, 128, 512);
    }

    @Test
    void spec_nameDescribesTheModel() {
        assertEquals("qwen3-v333-d256-l2-h4x2x128-f512-tied-F32-s6", Variants.ALL.get(5).name());
        assertEquals(List.of("llama", "qwen2", "qwen3"), java.util.Arrays.stream(Arch.values()).map(Arch::ggufName).toList());
        assertEquals(Arch.QWEN3, Arch.fromGguf("qwen3"));
    }

    @Test
    void experts_areWrittenAsLlamaCppReadsThem_andTheRouterVariesItsChoice() throws Exception {
        ModelSpec spec = ModelSpec.of(Arch.QWEN2).withType(TensorType.Q8_0)
                .withExperts(new ModelSpec.Experts(8, 2, 128, 256));
        assertEquals("qwen2moe", spec.ggufArch());
        assertEquals("qwen2moe-v515-d256-l2-h4x2x64-f512-untied-Q8_0-e8x2x128-sh256-s1", spec.name());
        RandomModel m = RandomModels.generate(spec);
        try (GgufFile file = GgufFile.open(m.writeGguf(dir.resolve("moe.gguf")))) {
            var md = file.metadata();
            assertEquals("qwen2moe", md.string("general.architecture"));
            assertEquals(8, md.integer("qwen2moe.expert_count"));
            assertEquals(2, md.integer("qwen2moe.expert_used_count"));
            assertEquals(128, md.integer("qwen2moe.expert_feed_forward_length"));
            assertEquals(256, md.integer("qwen2moe.expert_shared_feed_forward_length"));
            Map<String, TensorInfo> tensors = new TreeMap<>();
            file.tensors().forEach(t -> tensors.put(t.name(), t));
            assertShape(tensors, "blk.1.ffn_gate_inp.weight", TensorType.F32, 256, 8);
            assertShape(tensors, "blk.1.ffn_gate_exps.weight", TensorType.Q8_0, 256, 128, 8);
            assertShape(tensors, "blk.1.ffn_up_exps.weight", TensorType.Q8_0, 256, 128, 8);
            assertShape(tensors, "blk.1.ffn_down_exps.weight", TensorType.Q8_0, 128, 256, 8);
            assertShape(tensors, "blk.1.ffn_gate_inp_shexp.weight", TensorType.F32, 256);
            assertShape(tensors, "blk.1.ffn_gate_shexp.weight", TensorType.Q8_0, 256, 256);
            assertShape(tensors, "blk.1.ffn_down_shexp.weight", TensorType.Q8_0, 256, 256);
            assertFalse(tensors.containsKey("blk.0.ffn_gate.weight"));
        }
        assertStd(m.tensor("blk.0.ffn_gate_inp.weight").values(), 0, 1 / Math.sqrt(256));
        // Top-2 of the router over each token's normalised embedding: many different pairs.
        float[] router = m.tensor("blk.0.ffn_gate_inp.weight").values();
        float[] embd = m.tensor("token_embd.weight").values();
        Set<String> pairs = new HashSet<>();
        for (int token = 0; token < 64; token++) {
            double rms = 0;
            for (int i = 0; i < 256; i++) {
                rms += embd[token * 256 + i] * embd[token * 256 + i];
            }
            rms = Math.sqrt(rms / 256);
            double[] logits = new double[8];
            for (int e = 0; e < 8; e++) {
                for (int i = 0; i < 256; i++) {
                    logits[e] += router[e * 256 + i] * embd[token * 256 + i] / rms;
                }
            }
            int first = 0;
            for (int e = 1; e < 8; e++) {
                first = logits[e] > logits[first] ? e : first;
            }
            int second = first == 0 ? 1 : 0;
            for (int e = 0; e < 8; e++) {
                second = e != first && logits[e] > logits[second] ? e : second;
            }
            pairs.add(first + "," + second);
        }
        assertTrue(pairs.size() >= 10, "64 tokens chose only " + pairs.size() + " expert pairs: " + pairs);
    }

    @Test
    void experts_checkTheirFamilyAndBlockSizes() {
        ModelSpec llama = ModelSpec.of(Arch.LLAMA);
        assertEquals("llama", llama.withExperts(new ModelSpec.Experts(8, 2, 512, 0)).ggufArch());
        assertEquals("qwen3moe", ModelSpec.of(Arch.QWEN3).withExperts(new ModelSpec.Experts(8, 2, 64, 0)).ggufArch());
        assertThrows(IllegalArgumentException.class, () -> llama.withExperts(new ModelSpec.Experts(8, 2, 128, 0)));
        assertThrows(IllegalArgumentException.class,
                () -> ModelSpec.of(Arch.QWEN3).withExperts(new ModelSpec.Experts(8, 2, 64, 64)));
        assertThrows(IllegalArgumentException.class,
                () -> ModelSpec.of(Arch.QWEN2).withExperts(new ModelSpec.Experts(8, 2, 64, 0)));
        assertThrows(IllegalArgumentException.class, () -> new ModelSpec.Experts(8, 9, 64, 0));
        var q = assertThrows(IllegalArgumentException.class, () -> ModelSpec.of(Arch.QWEN3)
                .withType(TensorType.Q8_0).withExperts(new ModelSpec.Experts(8, 2, 48, 0)));
        assertTrue(q.getMessage().contains("multiples"), q.getMessage());
    }

    private static void assertShape(Map<String, TensorInfo> tensors, String name, TensorType type, long... dims) {
        TensorInfo info = tensors.get(name);
        assertTrue(info != null, "missing " + name + " in " + tensors.keySet());
        assertEquals(type, info.type(), name);
        assertArrayEquals(dims, info.dims(), name);
    }

    private static void assertStd(float[] values, double mean, double std) {
        double sum = 0;
        double sq = 0;
        for (float v : values) {
            sum += v;
            sq += (double) v * v;
        }
        double m = sum / values.length;
        double s = Math.sqrt(sq / values.length - m * m);
        assertEquals(mean, m, 4 * std / Math.sqrt(values.length) + 1e-9, "mean");
        assertEquals(std, s, 4 * std / Math.sqrt(2.0 * values.length), "standard deviation");
    }
}
