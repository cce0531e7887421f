package dev.petrel.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.petrel.api.ModelFormatException;
import dev.petrel.api.attention.AttentionConfig;
import dev.petrel.api.engine.GenerationRequest;
import dev.petrel.api.engine.LoadOptions;
import dev.petrel.api.engine.Model;
import dev.petrel.api.engine.ModelConfig;
import dev.petrel.api.engine.SamplerSettings;
import dev.petrel.api.kernel.BufferUsage;
import dev.petrel.api.engine.Session;
import dev.petrel.api.kernel.KernelBackend;
import dev.petrel.api.kernel.MoeRouting;
import dev.petrel.api.kernel.RopeParams;
import dev.petrel.api.weights.TensorType;
import dev.petrel.conformance.DeepSeek2Models;
import dev.petrel.conformance.DeepSeek2Models.Spec;
import dev.petrel.conformance.DeepSeek2Models.Yarn;
import dev.petrel.conformance.RandomModel;
import dev.petrel.loader.gguf.GgufValue;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** deepseek2 hyperparameters, strategies and the errors on files whose keys and tensors disagree. */
class DeepSeek2Test {

    @TempDir
    static Path dir;

    static KernelBackend backend;
    static PetrelEngine engine;

    @BeforeAll
    static void start() {
        backend = Fixture.backend("java");
        engine = DeepSeek2ConformanceTest.engine(backend);
    }

    @AfterAll
    static void stop() {
        Fixture.shutdown(backend);
    }

    private static Path write(Spec spec) throws Exception {
        return DeepSeek2Models.write(spec, dir.resolve(spec.name() + ".gguf"));
    }

    /** The model of {@code spec} with one metadata key replaced. */
    private static Path withKey(Spec spec, String key, GgufValue value, String file) throws Exception {
        RandomModel model = DeepSeek2Models.generate(spec);
        RandomModel.Builder b = RandomModel.builder(model.name(), 1);
        model.metadata().forEach(b::put);
        b.put(key, value);
        model.tensors().values().forEach(b::tensor);
        return b.build().writeGguf(dir.resolve(file));
    }

    @Test
    void config_readsMlaMoeAndYarnAsLlamaCppDoes() throws Exception {
        Spec spec = Spec.v3().withYarn(Yarn.v2());
        try (Model model = engine.load(write(spec), Fixture.F32_CACHE)) {
            ModelConfig c = model.config();
            AttentionConfig a = c.attention();
            assertEquals(new AttentionConfig.Mla(96, 64, 32, 16), a.mla());
            assertEquals(4, a.kvHeadCount(), "MLA has one key/value head per query head, whatever head_count_kv says");
            assertEquals(48, a.keyLength());
            assertEquals(32, a.valueLength());
            RopeParams rope = a.rope();
            assertEquals(RopeParams.Mode.NORMAL, rope.mode());
            assertEquals(1f / 40f, rope.freqScale());
            assertEquals(4096, rope.originalContext());
            assertEquals(1f, rope.extFactor());
            // rope's own YaRN magnitude 1 + 0.1 ln 40 is cancelled: cos/sin keep magnitude 1.
            assertEquals(1 / (1 + 0.1 * Math.log(40)), rope.attnFactor(), 1e-6);
            // DeepSeek's softmax_scale: qk_head_dim^-0.5 * mscale^2, mscale = 0.1 * mscale_all_dim * ln(factor) + 1.
            double mscale = 0.1 * 0.707 * Math.log(40) + 1;
            assertEquals(mscale * mscale / Math.sqrt(48), a.scale(), 1e-6);
            assertEquals(new MoeRouting(MoeRouting.Gating.SIGMOID, 4, 4, 2, true, 2.5f), c.moe().routing());
            assertTrue(c.moe().scoreCorrectionBias(), "exp_probs_b is in the file");
            assertEquals(1, c.moe().leadingDenseBlockCount());
            assertEquals(64, c.moe().sharedLength());
        }
        try (Model model = engine.load(write(Spec.v2Lite().withSplitLayout(false)), Fixture.F32_CACHE)) {
            ModelConfig c = model.config();
            assertEquals(new AttentionConfig.Mla(0, 64, 32, 16), c.attention().mla());
            assertEquals((float) (1 / Math.sqrt(48)), c.attention().scale());
            assertEquals(new MoeRouting(MoeRouting.Gating.SOFTMAX, 2, 1, 1, false, 1f), c.moe().routing());
            assertTrue(!c.moe().scoreCorrectionBias());
        }
    }

    @Test
    void aDenseModel_needsNoExperts() throws Exception {
        Spec dense = new Spec("dense", 5, 515, 64, 2, 2, 0, 32, 16, 8, 16, 128, 0, 0, 32, 0, 2, 1, false, 1, 1, false,
                1f, true, null, TensorType.F32, 256);
        try (Model model = engine.load(write(dense), Fixture.F32_CACHE); Session session = model.openSession()) {
            assertNull(model.config().moe());
            assertEquals(515, session.process(new int[] {1, 2, 3}).length);
        }
    }

    @Test
    void bothStrategies_giveTheSameLogits_onBothLayouts() throws Exception {
        int[] prompt = {5, 77, 300, 12, 9, 401};
        for (boolean split : new boolean[] {true, false}) {
            Path file = write(Spec.v3().withSplitLayout(split));
            float[] naive;
            float[] absorbed;
            try (Model model = engine.load(file, new LoadOptions(0, TensorType.F32, "mla-naive"));
                    Session session = model.openSession()) {
                naive = session.process(prompt);
            }
            try (Model model = engine.load(file, new LoadOptions(0, TensorType.F32, null));
                    Session session = model.openSession()) {
                absorbed = session.process(prompt);
            }
            Fixture.assertClose(naive, absorbed, 1e-4f, "naive vs absorbed (the default), split layout " + split);
        }
    }

    @Test
    void halfPrecisionCaches_stayCloseToF32_withBothStrategies() throws Exception {
        Path file = write(Spec.v2Lite().withSplitLayout(false));
        int[] prompt = {3, 141, 59, 265, 358, 97, 93, 238};
        for (String strategy : new String[] {"mla-absorbed", "mla-naive"}) {
            float[] reference;
            try (Model model = engine.load(file, new LoadOptions(0, TensorType.F32, strategy));
                    Session session = model.openSession()) {
                session.process(prompt);
                reference = session.process(new int[] {7});
            }
            for (TensorType type : new TensorType[] {TensorType.F16, TensorType.BF16}) {
                try (Model model = engine.load(file, new LoadOptions(0, type, strategy));
                        Session session = model.openSession()) {
                    session.process(prompt);
                    float[] logits = session.process(new int[] {7});
                    // The latent rounded to 8 (BF16) or 11 (F16) bits of mantissa moves logits of ~1 by about that much.
                    Fixture.assertClose(reference, logits, type == TensorType.F16 ? 0.01f : 0.08f,
                            strategy + " with a " + type + " cache");
                }
            }
        }
    }

    @Test
    void swapToAnotherBackend_betweenTokens_carriesTheLatentCache() throws Exception {
        Path file = write(Spec.v3());
        int[] prompt = {11, 230, 47, 305, 8};
        GenerationRequest first = new GenerationRequest(prompt, SamplerSettings.GREEDY, 6, List.of(), true);
        GenerationRequest more = new GenerationRequest(new int[0], SamplerSettings.GREEDY, 6, List.of(), true);
        int[] unswapped;
        KernelBackend scalar = Fixture.backend("java-scalar");
        try {
            PetrelEngine still = DeepSeek2ConformanceTest.engine(scalar);
            try (Model m = still.load(file, Fixture.F32_CACHE); Session s = m.openSession()) {
                unswapped = s.generate(new GenerationRequest(prompt, SamplerSettings.GREEDY, 12, List.of(), true)).ids();
            }
        } finally {
            Fixture.shutdown(scalar);
        }
        KernelBackend from = Fixture.backend("java-scalar");
        KernelBackend to = Fixture.backend("java");
        try {
            PetrelEngine swapping = DeepSeek2ConformanceTest.engine(from);
            try (Model m = swapping.load(file, Fixture.F32_CACHE); Session s = m.openSession()) {
                int[] before = s.generate(first).ids();
                swapping.bindBackend(to);
                swapping.removeBackend(from);
                assertEquals("java", m.backend());
                int[] after = s.generate(more).ids();
                int[] joined = Arrays.copyOf(before, 12);
                System.arraycopy(after, 0, joined, 6, 6);
                assertArrayEquals(unswapped, joined);
            }
            assertEquals(0, from.allocatedBytes(BufferUsage.CACHE));
        } finally {
            Fixture.shutdown(from);
            Fixture.shutdown(to);
        }
    }

    @Test
    void theCache_holdsTheLatentOnly() throws Exception {
        try (Model model = engine.load(write(Spec.v2Lite()), new LoadOptions(64, TensorType.F16, null))) {
            AttentionConfig a = model.config().attention();
            // 3 layers of (kv_lora_rank 64 + rope 16) F16 elements; MHA would hold 4 heads * (48 + 32) per layer.
            assertEquals(3L * (64 + 16) * 2, a.cacheBytesPerToken(TensorType.F16) * model.config().blockCount());
            assertEquals(4L * (48 + 32), a.mhaEquivalentElementsPerToken());
        }
    }

    @Test
    void anUnknownStrategy_isRefused() throws Exception {
        Path file = write(Spec.v2Lite());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> engine.load(file, new LoadOptions(0, TensorType.F32, "gqa")));
        assertTrue(e.getMessage().contains("mla-absorbed") && e.getMessage().contains("gqa"), e.getMessage());
    }

    @Test
    void aKvLoraRankThatDoesNotMatchTheTensors_namesTensorAndKey() throws Exception {
        Path old = withKey(Spec.v2Lite().withSplitLayout(false), "deepseek2.attention.kv_lora_rank",
                GgufValue.uint32(48), "rank-kvb.gguf");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> engine.load(old, Fixture.F32_CACHE));
        assertEquals("blk.0.attn_kv_a_mqa.weight", e.field(), e.getMessage());
        assertTrue(e.getMessage().contains("deepseek2.attention.kv_lora_rank") && e.getMessage().contains("[128, 64]")
                && e.getMessage().contains("[128, 80]"), e.getMessage());

        // The split layout also describes the latent cache by key_length = kv_lora_rank + rope dims.
        Path split = withKey(Spec.v2Lite(), "deepseek2.attention.kv_lora_rank", GgufValue.uint32(48),
                "rank-split.gguf");
        e = assertThrows(ModelFormatException.class, () -> engine.load(split, Fixture.F32_CACHE));
        assertEquals("deepseek2.attention.key_length", e.field(), e.getMessage());
        assertTrue(e.getMessage().contains("deepseek2.attention.kv_lora_rank"), e.getMessage());
    }

    @Test
    void aRankKeptConsistentButWrongForTheTensors_isCaughtAtTheUpProjection() throws Exception {
        Spec spec = Spec.v2Lite();
        RandomModel model = DeepSeek2Models.generate(spec);
        RandomModel.Builder b = RandomModel.builder(model.name(), 1);
        model.metadata().forEach(b::put);
        b.put("deepseek2.attention.kv_lora_rank", GgufValue.uint32(48));
        b.put("deepseek2.attention.key_length", GgufValue.uint32(48 + 16));
        b.put("deepseek2.attention.value_length", GgufValue.uint32(48));
        model.tensors().values().forEach(b::tensor);
        Path file = b.build().writeGguf(dir.resolve("rank-consistent.gguf"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> engine.load(file, Fixture.F32_CACHE));
        assertEquals("blk.0.attn_kv_a_mqa.weight", e.field(), e.getMessage());
        assertTrue(e.getMessage().contains("deepseek2.attention.kv_lora_rank"), e.getMessage());
    }

    @Test
    void anExpertCountThatDoesNotMatchTheTensors_namesTensorAndKey() throws Exception {
        Path file = withKey(Spec.v2Lite(), "deepseek2.expert_count", GgufValue.uint32(6), "experts.gguf");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> engine.load(file, Fixture.F32_CACHE));
        assertEquals("blk.1.ffn_gate_inp.weight", e.field(), e.getMessage());
        assertTrue(e.getMessage().contains("deepseek2.expert_count"), e.getMessage());
    }

    @Test
    void aMissingQLoraRank_isNamedUnlessTheLayerCountIsALiteOne() throws Exception {
        RandomModel model = DeepSeek2Models.generate(Spec.v2Lite());
        RandomModel.Builder b = RandomModel.builder(model.name(), 1);
        model.metadata().entrySet().stream().filter(m -> !m.getKey().equals("deepseek2.attention.q_lora_rank"))
                .forEach(m -> b.put(m.getKey(), m.getValue()));
        model.tensors().values().forEach(b::tensor);
        Path file = b.build().writeGguf(dir.resolve("no-q-rank.gguf"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> engine.load(file, Fixture.F32_CACHE));
        assertEquals("deepseek2.attention.q_lora_rank", e.field(), e.getMessage());
    }

    @Test
    void inspectionFigures_countOnlyTheChosenExperts() throws Exception {
        try (Model model = engine.load(write(Spec.v2Lite()), Fixture.F32_CACHE)) {
            long all = model.weightBytes();
            long active = model.activeWeightBytesPerToken();
            // Two MoE layers of 8 experts using 2: 6/8 of their routed expert bytes are not read.
            long routedPerLayer = 3L * 128 * 64 * 8 * Float.BYTES;
            long embeddingRest = (515L - 1) * 128 * Float.BYTES;
            assertEquals(all - embeddingRest - 2 * routedPerLayer / 8 * 6, active);
        }
    }
}
