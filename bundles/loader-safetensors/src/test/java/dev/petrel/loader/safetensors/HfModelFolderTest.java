package dev.petrel.loader.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.petrel.api.ModelFormatException;
import dev.petrel.api.quant.BlockScales;
import dev.petrel.api.weights.Metadata;
import dev.petrel.api.weights.TensorInfo;
import dev.petrel.api.weights.TensorType;
import dev.petrel.conformance.Arch;
import dev.petrel.conformance.HfFolderWriter;
import dev.petrel.conformance.ModelSpec;
import dev.petrel.conformance.RandomModel;
import dev.petrel.conformance.RandomModels;
import dev.petrel.conformance.SafetensorsWriter;
import dev.petrel.loader.gguf.GgufFile;
import dev.petrel.loader.safetensors.provider.SafetensorsWeightSourceProvider;
import dev.petrel.quant.kernel.F8E4M3Kernel;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Hugging Face folders presented as their GGUF conversion: the tensors of llama, qwen2 and
 * qwen3 folders are byte for byte those of the GGUF twin; DeepSeek configs map to the
 * deepseek2 keys with experts stacked and FP8 scales attached; bad folders are named.
 */
class HfModelFolderTest {

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @TempDir
    Path dir;

    // ---- llama / qwen: the GGUF twin, byte for byte ---------------------------------------

    @ParameterizedTest
    @CsvSource({"LLAMA, false, 1", "LLAMA, true, 3", "QWEN2, true, 2", "QWEN3, false, 1"})
    void bf16Folder_holdsTheBytesOfItsGgufTwin(Arch arch, boolean bf16Vectors, int shards) throws IOException {
        RandomModel model = RandomModels.generate(ModelSpec.of(arch).withType(TensorType.BF16).withSeed(3));
        HfFolderWriter.Result written = HfFolderWriter.write(model, dir.resolve("m"),
                new HfFolderWriter.Options(TensorType.BF16, bf16Vectors, shards));
        Path gguf = written.twin().writeGguf(dir.resolve("twin.gguf"));
        try (HfModelFolder folder = HfModelFolder.open(written.folder()); GgufFile twin = GgufFile.open(gguf)) {
            assertEquals(twin.tensors().size(), folder.tensors().size());
            for (TensorInfo want : twin.tensors()) {
                TensorInfo got = folder.tensor(want.name()).orElseThrow(() -> new AssertionError(want.name()));
                assertEquals(want.type(), got.type(), want.name());
                assertArrayEquals(want.dims(), got.dims(), want.name());
                assertEquals(-1, twin.data(want).mismatch(folder.data(got)), want.name() + " bytes");
                assertTrue(folder.scales(got).isEmpty());
            }
            // config.json gives the GGUF keys the converter writes
            Metadata m = folder.metadata();
            String a = arch.ggufName() + ".";
            for (String key : twin.metadata().keys()) {
                if (key.startsWith(a)) {
                    assertEquals(((Number) twin.metadata().require(key)).doubleValue(),
                            ((Number) m.require(key)).doubleValue(), 0.0, key);
                }
            }
            assertEquals(arch.ggufName(), m.string("general.architecture"));
        }
    }

    @Test
    void fp8Folder_dequantizesToItsTwinExactly_withPermutedLlamaRowsKeepingTheirScales() throws IOException {
        RandomModel model = RandomModels.generate(ModelSpec.of(Arch.LLAMA).withType(TensorType.BF16).withSeed(5)
                .withShape(256, 1, 8, 2, 32, 320));
        HfFolderWriter.Result written = HfFolderWriter.write(model, dir.resolve("fp8"),
                new HfFolderWriter.Options(TensorType.F8_E4M3, false, 1));
        Path gguf = written.twin().writeGguf(dir.resolve("fp8.gguf"));
        try (HfModelFolder folder = HfModelFolder.open(written.folder()); GgufFile twin = GgufFile.open(gguf)) {
            int fp8 = 0;
            for (TensorInfo got : folder.tensors()) {
                if (got.type() != TensorType.F8_E4M3) {
                    continue;
                }
                fp8++;
                TensorInfo want = twin.requireTensor(got.name());
                BlockScales scales = folder.scales(got).orElseThrow();
                MemorySegment bytes = folder.data(got);
                MemorySegment exact = twin.data(want);
                int columns = (int) got.dim(0);
                for (long r = 0; r < got.rows(); r++) {
                    for (int c = 0; c < columns; c++) {
                        float value = F8E4M3Kernel.toFloat(bytes.get(ValueLayout.JAVA_BYTE, r * columns + c))
                                * scales.scale(r, c);
                        assertEquals(exact.getAtIndex(F32, r * columns + c), value, 0f,
                                got.name() + " (" + r + ", " + c + ")");
                    }
                }
                if (got.name().endsWith("attn_q.weight") || got.name().endsWith("attn_k.weight")) {
                    assertEquals(1, scales.blockRows(), "permuted rows carry a scale each");
                } else {
                    assertEquals(128, scales.blockRows());
                }
            }
            assertEquals(7, fp8, "the layer's seven matrices are FP8");
            assertEquals(TensorType.BF16, folder.requireTensor("token_embd.weight").type());
        }
    }

    /**
     * The converter's {@code permute}: HF rows reshaped to {@code (n_head, 2, head_dim / 2)},
     * axes 1 and 2 swapped; so GGUF row {@code h*hd + 2j + s} is HF row {@code h*hd + s*hd/2 + j}
     * (each head's two halves interleaved, for adjacent-pair RoPE).
     */
    @Test
    void llamaPermutation_interleavesTheHalvesOfEachHead() {
        assertArrayEquals(new int[] {0, 2, 1, 3}, HfArchitecture.permutedRows(4, 1, "m", "t"));
        assertArrayEquals(new int[] {0, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11},
                HfArchitecture.permutedRows(12, 2, "m", "t"));
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> HfArchitecture.permutedRows(12, 4, "m", "blk.0.attn_k.weight"));
        assertEquals("m: blk.0.attn_k.weight: 12 rows do not split into 4 heads of an even size, as the Llama q/k "
                + "permutation needs", e.getMessage());
    }

    @Test
    void llama3RopeScaling_becomesTheRopeFreqsTensor() throws IOException {
        Path m = dir.resolve("l3");
        Files.createDirectories(m);
        Files.writeString(m.resolve("config.json"), """
                {"architectures":["LlamaForCausalLM"],"vocab_size":8,"hidden_size":16,"intermediate_size":8,
                 "num_hidden_layers":1,"num_attention_heads":1,"max_position_embeddings":64,"rms_norm_eps":1e-5,
                 "rope_theta":500000.0,"rope_scaling":{"rope_type":"llama3","factor":8.0,"low_freq_factor":1.0,
                 "high_freq_factor":4.0,"original_max_position_embeddings":8192}}""");
        new SafetensorsWriter().add("model.norm.weight", "F32", new long[] {16}, new byte[64])
                .write(m.resolve("model.safetensors"));
        try (HfModelFolder folder = HfModelFolder.open(m)) {
            TensorInfo freqs = folder.requireTensor("rope_freqs.weight");
            float[] got = folder.data(freqs).toArray(F32);
            float[] want = ModelSpec.Llama3RopeScaling.llama31().frequencyDivisors(16, 500000f);
            assertArrayEquals(want, got);
            assertEquals(8L, folder.metadata().integer("llama.vocab_size"));
        }
    }

    // ---- deepseek2 ------------------------------------------------------------------------

    private static final String DEEPSEEK_V3 = """
            {"architectures":["DeepseekV3ForCausalLM"],"vocab_size":64,"hidden_size":32,"intermediate_size":48,
             "moe_intermediate_size":16,"num_hidden_layers":2,"num_attention_heads":2,"num_key_value_heads":2,
             "max_position_embeddings":512,"rms_norm_eps":1e-6,"rope_theta":10000,"q_lora_rank":24,
             "kv_lora_rank":16,"qk_nope_head_dim":8,"qk_rope_head_dim":4,"v_head_dim":8,"n_routed_experts":EXPERTS,
             "num_experts_per_tok":2,"n_shared_experts":1,"first_k_dense_replace":1,"routed_scaling_factor":2.5,
             "norm_topk_prob":true,"scoring_func":"sigmoid","n_group":2,"topk_group":1,"num_nextn_predict_layers":1,
             "rope_scaling":{"type":"yarn","factor":40,"original_max_position_embeddings":4096,"mscale":1.0,
                             "mscale_all_dim":1.0,"beta_fast":32,"beta_slow":1},
             "quantization_config":{"quant_method":"fp8","fmt":"e4m3","weight_block_size":[128,128]}}""";

    /** A DeepSeek-V3-shaped folder: layer 0 dense, layer 1 MoE with 4 experts, layer 2 multi-token prediction. */
    private Path deepseek(String name, String config, boolean qLora, int experts, String drop) throws IOException {
        Path m = dir.resolve(name);
        Files.createDirectories(m);
        Files.writeString(m.resolve("config.json"), config.replace("EXPERTS", "4"));
        SafetensorsWriter w = new SafetensorsWriter();
        Random random = new Random(name.hashCode());
        bf16(w, random, "model.embed_tokens.weight", 64, 32);
        bf16(w, random, "model.norm.weight", 32);
        bf16(w, random, "lm_head.weight", 64, 32);
        for (int layer = 0; layer < 3; layer++) {
            String p = "model.layers." + layer + ".";
            bf16(w, random, p + "input_layernorm.weight", 32);
            bf16(w, random, p + "post_attention_layernorm.weight", 32);
            if (qLora) {
                fp8(w, random, p + "self_attn.q_a_proj.weight", 24, 32, drop);
                bf16(w, random, p + "self_attn.q_a_layernorm.weight", 24);
                fp8(w, random, p + "self_attn.q_b_proj.weight", 2 * 12, 24, drop);
            } else {
                fp8(w, random, p + "self_attn.q_proj.weight", 2 * 12, 32, drop);
            }
            fp8(w, random, p + "self_attn.kv_a_proj_with_mqa.weight", 16 + 4, 32, drop);
            bf16(w, random, p + "self_attn.kv_a_layernorm.weight", 16);
            fp8(w, random, p + "self_attn.kv_b_proj.weight", 2 * (8 + 8), 16, drop);
            fp8(w, random, p + "self_attn.o_proj.weight", 32, 2 * 8, drop);
            if (layer == 0) {
                fp8(w, random, p + "mlp.gate_proj.weight", 48, 32, drop);
                fp8(w, random, p + "mlp.up_proj.weight", 48, 32, drop);
                fp8(w, random, p + "mlp.down_proj.weight", 32, 48, drop);
                continue;
            }
            if (layer == 2) {
                bf16(w, random, p + "eh_proj.weight", 32, 64);
            }
            bf16(w, random, p + "mlp.gate.weight", experts, 32);
            w.add(p + "mlp.gate.e_score_correction_bias", "F32", new long[] {experts}, new byte[4 * experts]);
            for (int e = 0; e < experts; e++) {
                fp8(w, random, p + "mlp.experts." + e + ".gate_proj.weight", 16, 32, drop);
                fp8(w, random, p + "mlp.experts." + e + ".up_proj.weight", 16, 32, drop);
                fp8(w, random, p + "mlp.experts." + e + ".down_proj.weight", 32, 16, drop);
            }
            fp8(w, random, p + "mlp.shared_experts.gate_proj.weight", 16, 32, drop);
            fp8(w, random, p + "mlp.shared_experts.up_proj.weight", 16, 32, drop);
            fp8(w, random, p + "mlp.shared_experts.down_proj.weight", 32, 16, drop);
        }
        w.write(m.resolve("model.safetensors"));
        return m;
    }

    private static void bf16(SafetensorsWriter w, Random random, String name, long... shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        byte[] data = new byte[(int) (2 * n)];
        random.nextBytes(data);
        for (int i = 1; i < data.length; i += 2) {
            data[i] = (byte) (data[i] & 0x3F); // finite, modest values
        }
        w.add(name, "BF16", shape, data);
    }

    private static void fp8(SafetensorsWriter w, Random random, String name, int rows, int columns, String drop) {
        byte[] data = new byte[rows * columns];
        random.nextBytes(data);
        w.add(name, "F8_E4M3", new long[] {rows, columns}, data);
        if (!name.equals(drop)) {
            float[] scales = {0.5f + random.nextFloat()};
            byte[] bytes = new byte[4];
            MemorySegment.ofArray(bytes).set(F32, 0, scales[0]);
            w.add(name + "_scale_inv", "F32", new long[] {1, 1}, bytes);
        }
    }

    @Test
    void deepseekV3_mapsToDeepseek2KeysAndTensors() throws IOException {
        Path m = deepseek("v3", DEEPSEEK_V3, true, 4, null);
        try (HfModelFolder folder = HfModelFolder.open(m)) {
            Metadata md = folder.metadata();
            assertEquals("deepseek2", md.string("general.architecture"));
            assertEquals("DeepseekV3ForCausalLM", md.string("general.source.architecture"));
            String a = "deepseek2.";
            assertEquals(24, md.integer(a + "attention.q_lora_rank"));
            assertEquals(16, md.integer(a + "attention.kv_lora_rank"));
            assertEquals(12, md.integer(a + "attention.key_length"));
            assertEquals(8, md.integer(a + "attention.value_length"));
            assertEquals(2, md.integer(a + "attention.head_count_kv"));
            assertEquals(4, md.integer(a + "rope.dimension_count"));
            assertEquals(1, md.integer(a + "leading_dense_block_count"));
            assertEquals(16, md.integer(a + "expert_feed_forward_length"));
            assertEquals(4, md.integer(a + "expert_count"));
            assertEquals(2, md.integer(a + "expert_used_count"));
            assertEquals(1, md.integer(a + "expert_shared_count"));
            assertEquals(2.5, md.number(a + "expert_weights_scale"));
            assertTrue(md.bool(a + "expert_weights_norm", false));
            assertEquals(2, md.integer(a + "expert_gating_func"), "sigmoid");
            assertEquals(2, md.integer(a + "expert_group_count"));
            assertEquals(1, md.integer(a + "expert_group_used_count"));
            assertEquals("yarn", md.string(a + "rope.scaling.type"));
            assertEquals(40.0, md.number(a + "rope.scaling.factor"));
            assertEquals(4096, md.integer(a + "rope.scaling.original_context_length"));
            assertEquals(0.1f, (float) md.number(a + "rope.scaling.yarn_log_multiplier"));
            assertEquals(2, md.integer(a + "block_count"));

            assertArrayEquals(new long[] {32, 24}, folder.requireTensor("blk.0.attn_q_a.weight").dims());
            assertArrayEquals(new long[] {24, 24}, folder.requireTensor("blk.1.attn_q_b.weight").dims());
            assertArrayEquals(new long[] {32, 20}, folder.requireTensor("blk.1.attn_kv_a_mqa.weight").dims());
            assertArrayEquals(new long[] {16, 32}, folder.requireTensor("blk.0.attn_kv_b.weight").dims());
            assertEquals(TensorType.F32, folder.requireTensor("blk.1.attn_kv_a_norm.weight").type(), "norms widen to F32");
            assertEquals(TensorType.F32, folder.requireTensor("blk.1.exp_probs_b.bias").type());
            assertArrayEquals(new long[] {32, 4}, folder.requireTensor("blk.1.ffn_gate_inp.weight").dims());
            assertArrayEquals(new long[] {32, 16}, folder.requireTensor("blk.1.ffn_gate_shexp.weight").dims());
            assertTrue(folder.tensor("blk.0.ffn_gate_exps.weight").isEmpty(), "layer 0 is dense");
            assertTrue(folder.tensors().stream().noneMatch(t -> t.name().startsWith("blk.2.")), "MTP layer left out");

            TensorInfo down = folder.requireTensor("blk.1.ffn_down_exps.weight");
            assertEquals(TensorType.F8_E4M3, down.type());
            assertArrayEquals(new long[] {16, 32, 4}, down.dims());
            BlockScales scales = folder.scales(down).orElseThrow();
            try (SafetensorsFile raw = SafetensorsFile.open(m.resolve("model.safetensors"))) {
                MemorySegment stacked = folder.data(down);
                for (int e = 0; e < 4; e++) {
                    SafetensorsFile.Entry expert = raw.entries().get("model.layers.1.mlp.experts." + e + ".down_proj.weight");
                    SafetensorsFile.Entry scale = raw.entries().get(expert.name() + "_scale_inv");
                    assertEquals(-1, raw.data(expert).mismatch(stacked.asSlice(e * 512L, 512)), "expert " + e + " bytes");
                    float want = raw.data(scale).get(F32, 0);
                    assertEquals(want, scales.scale(e * 32L + 31, 15), 0f, "expert " + e + " scale");
                    assertEquals(want, scales.scale(e * 32L, 0), 0f, "expert " + e + " scale");
                }
            }
        }
    }

    @Test
    void deepseekV2Lite_withoutQCompression_softmax() throws IOException {
        String config = DEEPSEEK_V3.replace("\"q_lora_rank\":24,", "\"q_lora_rank\":null,")
                .replace("DeepseekV3ForCausalLM", "DeepseekV2ForCausalLM").replace("\"sigmoid\"", "\"softmax\"")
                .replace("\"n_group\":2,\"topk_group\":1,", "");
        Path m = deepseek("v2", config, false, 4, null);
        try (HfModelFolder folder = HfModelFolder.open(m)) {
            Metadata md = folder.metadata();
            assertEquals(0, md.integer("deepseek2.attention.q_lora_rank"), "null: queries not compressed");
            assertFalse(md.contains("deepseek2.expert_group_count"));
            assertEquals(1, md.integer("deepseek2.expert_gating_func"), "softmax");
            assertArrayEquals(new long[] {32, 24}, folder.requireTensor("blk.0.attn_q.weight").dims());
        }
    }

    @Test
    void expertCount_disagreeingWithConfig_namesTheTensorAndTheCount() throws IOException {
        Path m = deepseek("fewer", DEEPSEEK_V3, true, 3, null);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> HfModelFolder.open(m));
        assertTrue(e.getMessage().contains("blk.1.ffn_gate_exps.weight: experts [0, 1, 2] found in the shards, but "
                + "config.json says there are 4"), e.getMessage());
    }

    @Test
    void moreExperts_thanConfigSays_namesTheTensorAndTheCount() throws IOException {
        Path m = deepseek("more", DEEPSEEK_V3, true, 5, null);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> HfModelFolder.open(m));
        assertTrue(e.getMessage().contains("blk.1.ffn_gate_exps.weight: experts [0, 1, 2, 3, 4] found in the shards, "
                + "but config.json says there are 4 (0 to 3)"), e.getMessage());
    }

    @Test
    void fp8AttentionWeights_withoutTheirScales_areNamed() throws IOException {
        String v2Lite = DEEPSEEK_V3.replace("\"q_lora_rank\":24,", "\"q_lora_rank\":null,")
                .replace("DeepseekV3ForCausalLM", "DeepseekV2ForCausalLM");
        for (String[] c : new String[][] {
                {"kvb", "v3", "model.layers.1.self_attn.kv_b_proj.weight"},
                {"qa", "v3", "model.layers.0.self_attn.q_a_proj.weight"},
                {"kva", "v2", "model.layers.0.self_attn.kv_a_proj_with_mqa.weight"},
                {"q", "v2", "model.layers.1.self_attn.q_proj.weight"},
                {"shexp", "v2", "model.layers.1.mlp.shared_experts.down_proj.weight"}}) {
            boolean v3 = c[1].equals("v3");
            Path m = deepseek("noscale-" + c[0], v3 ? DEEPSEEK_V3 : v2Lite, v3, 4, c[2]);
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> HfModelFolder.open(m));
            assertTrue(e.getMessage().contains(c[2] + ": an F8_E4M3 weight needs its block scales " + c[2]
                    + "_scale_inv, which no shard holds"), e.getMessage());
        }
    }

    @Test
    void fp8Weight_withoutItsScale_isNamed() throws IOException {
        Path m = deepseek("noscale", DEEPSEEK_V3, true, 4, "model.layers.1.mlp.experts.2.up_proj.weight");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> HfModelFolder.open(m));
        assertTrue(e.getMessage().contains("model.layers.1.mlp.experts.2.up_proj.weight: an F8_E4M3 weight needs its "
                + "block scales model.layers.1.mlp.experts.2.up_proj.weight_scale_inv"), e.getMessage());
    }

    // ---- bad folders ----------------------------------------------------------------------

    private Path tiny(String name, String config, SafetensorsWriter weights) throws IOException {
        Path m = dir.resolve(name);
        Files.createDirectories(m);
        Files.writeString(m.resolve("config.json"), config);
        if (weights != null) {
            weights.write(m.resolve("model.safetensors"));
        }
        return m;
    }

    private static final String TINY_LLAMA = """
            {"architectures":["LlamaForCausalLM"],"vocab_size":8,"hidden_size":16,"intermediate_size":8,
             "num_hidden_layers":1,"num_attention_heads":2,"max_position_embeddings":64,"rms_norm_eps":1e-5}""";

    private static ModelFormatException openFails(Path m) {
        return assertThrows(ModelFormatException.class, () -> HfModelFolder.open(m));
    }

    private static void assertContains(ModelFormatException e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "'" + p + "' missing from: " + e.getMessage());
        }
    }

    @Test
    void scale_ofTheWrongShape_isNamedWithTheExpectedShape() throws IOException {
        SafetensorsWriter w = new SafetensorsWriter()
                .add("model.layers.0.mlp.up_proj.weight", "F8_E4M3", new long[] {200, 16}, new byte[3200])
                .add("model.layers.0.mlp.up_proj.weight_scale_inv", "F32", new long[] {1, 1}, new byte[4]);
        assertContains(openFails(tiny("badscale", TINY_LLAMA, w)), "up_proj.weight_scale_inv: expected F32 scales of "
                + "shape [2, 1] (128 x 128 blocks of model.layers.0.mlp.up_proj.weight [200, 16]), found F32 [1, 1]");
    }

    @Test
    void scale_withoutItsWeight_isNamed() throws IOException {
        SafetensorsWriter w = new SafetensorsWriter()
                .add("model.layers.0.mlp.up_proj.weight_scale_inv", "F32", new long[] {1, 1}, new byte[4]);
        assertContains(openFails(tiny("orphan", TINY_LLAMA, w)),
                "up_proj.weight_scale_inv: a block scale without its FP8 weight model.layers.0.mlp.up_proj.weight");
    }

    @Test
    void unknownTensor_isNamed() throws IOException {
        SafetensorsWriter w = new SafetensorsWriter().add("model.layers.0.adapter.weight", "F32", new long[] {2}, new byte[8]);
        assertContains(openFails(tiny("unknown", TINY_LLAMA, w)),
                "model.layers.0.adapter.weight: no GGUF tensor of llama (LlamaForCausalLM) corresponds to it");
        SafetensorsWriter deep = new SafetensorsWriter().add("model.layers.7.mlp.up_proj.weight", "F32", new long[] {2},
                new byte[8]);
        assertContains(openFails(tiny("deeper", TINY_LLAMA, deep)), "model.layers.7.mlp.up_proj.weight");
    }

    @Test
    void unsupportedArchitecture_andMissingKeys_nameConfigJson() throws IOException {
        SafetensorsWriter w = new SafetensorsWriter().add("model.norm.weight", "F32", new long[] {16}, new byte[64]);
        assertContains(openFails(tiny("gpt", TINY_LLAMA.replace("LlamaForCausalLM", "GPT2LMHeadModel"), w)),
                "config.json: architectures: 'GPT2LMHeadModel' is not supported");
        assertContains(openFails(tiny("nokey", TINY_LLAMA.replace("\"rms_norm_eps\":1e-5", "\"x\":1"), w)),
                "config.json: rms_norm_eps: required key is missing");
        assertContains(openFails(tiny("badjson", "{\"architectures\": [", w)), "config.json: content: invalid JSON");
        assertContains(openFails(tiny("noweights", TINY_LLAMA, null)), "model.safetensors: neither model.safetensors nor");
        Path empty = dir.resolve("empty");
        Files.createDirectories(empty);
        assertContains(openFails(empty), "config.json: file is missing");
    }

    private Path sharded(String name, String index) throws IOException {
        Path m = tiny(name, TINY_LLAMA, null);
        new SafetensorsWriter().add("model.norm.weight", "F32", new long[] {16}, new byte[64])
                .write(m.resolve("model-00001-of-00002.safetensors"));
        new SafetensorsWriter().add("lm_head.weight", "F32", new long[] {8, 16}, new byte[512])
                .write(m.resolve("model-00002-of-00002.safetensors"));
        Files.writeString(m.resolve("model.safetensors.index.json"), index);
        return m;
    }

    @Test
    void index_isChecked() throws IOException {
        String good = "{\"weight_map\":{\"model.norm.weight\":\"model-00001-of-00002.safetensors\","
                + "\"lm_head.weight\":\"model-00002-of-00002.safetensors\"}}";
        try (HfModelFolder folder = HfModelFolder.open(sharded("good", good))) {
            assertArrayEquals(new long[] {16, 8}, folder.requireTensor("output.weight").dims());
            assertEquals(2, folder.tensors().size());
        }
        assertContains(openFails(sharded("missing", good.replace("00002-of", "00003-of"))),
                "weight_map", "names the shard model-00003-of-00002.safetensors, which is not in the folder");
        assertContains(openFails(sharded("escape", good.replace("model-00002-of-00002", "../model-00002-of-00002"))),
                "weight_map.lm_head.weight: '../model-00002-of-00002.safetensors' is not a plain .safetensors file name");
        assertContains(openFails(sharded("absent", good.replace("\"lm_head.weight\"", "\"lm_head.bias\""))),
                "weight_map.lm_head.bias: names shard model-00002-of-00002.safetensors, which holds no such tensor");
        assertContains(openFails(sharded("wrongshard", good.replace("\"lm_head.weight\":\"model-00002",
                "\"lm_head.weight\":\"model-00001"))), "lm_head.weight");
        assertContains(openFails(sharded("nomap", "{\"metadata\":{}}")),
                "weight_map: expected an object from tensor names to shard files");
    }

    @Test
    void tensorInTwoShards_isNamed() throws IOException {
        Path m = sharded("twice", "{\"weight_map\":{\"model.norm.weight\":\"model-00001-of-00002.safetensors\","
                + "\"lm_head.weight\":\"model-00002-of-00002.safetensors\"}}");
        new SafetensorsWriter().add("model.norm.weight", "F32", new long[] {16}, new byte[64])
                .add("lm_head.weight", "F32", new long[] {8, 16}, new byte[512])
                .write(m.resolve("model-00002-of-00002.safetensors"));
        assertContains(openFails(m), "model.norm.weight");
    }

    // ---- the service ----------------------------------------------------------------------

    @Test
    void provider_acceptsModelFolders_andIsRegisteredAsSafetensors() throws IOException {
        SafetensorsWeightSourceProvider provider = new SafetensorsWeightSourceProvider();
        assertEquals("safetensors", provider.format());
        Path m = tiny("accepted", TINY_LLAMA, new SafetensorsWriter()
                .add("model.norm.weight", "BF16", new long[] {16}, new byte[32]));
        assertTrue(provider.accepts(m));
        assertFalse(provider.accepts(m.resolve("model.safetensors")));
        assertFalse(provider.accepts(dir.resolve("nothing-here")));
        try (var source = provider.open(m)) {
            assertEquals("safetensors", source.format());
            assertEquals(m.toString(), source.location(), "the tokenizer service reads the folder from here");
        }
        String xml = "OSGI-INF/" + SafetensorsWeightSourceProvider.class.getName() + ".xml";
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(xml)) {
            assertNotNull(in, xml);
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(text.contains("<property name=\"format\" type=\"String\" value=\"safetensors\"/>"), text);
        }
    }

    @Test
    void closedFolder_refusesData() throws IOException {
        Path m = tiny("closed", TINY_LLAMA, new SafetensorsWriter()
                .add("model.norm.weight", "BF16", new long[] {16}, new byte[32]));
        HfModelFolder folder = HfModelFolder.open(m);
        TensorInfo norm = folder.requireTensor("output_norm.weight");
        assertEquals(64, folder.data(norm).byteSize(), "BF16 norm widened to F32");
        folder.close();
        folder.close();
        assertThrows(IllegalStateException.class, () -> folder.data(norm));
    }
}
