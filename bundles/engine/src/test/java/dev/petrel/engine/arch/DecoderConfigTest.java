package dev.petrel.engine.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.petrel.api.ModelFormatException;
import dev.petrel.api.attention.AttentionConfig;
import dev.petrel.api.engine.ModelConfig;
import dev.petrel.api.experts.MoeConfig;
import dev.petrel.api.kernel.MoeRouting;
import dev.petrel.api.kernel.MoeRouting.Gating;
import dev.petrel.api.kernel.RopeParams;
import dev.petrel.attention.GqaAttention;
import dev.petrel.experts.MixtureOfExperts;
import dev.petrel.experts.SwiGluFeedForward;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Hyperparameters from explicit metadata keys, and the messages when they are wrong. */
class DecoderConfigTest {

    private static final String FILE = "/models/tiny.gguf";

    private static MapMetadata llama() {
        return base("llama");
    }

    private static MapMetadata base(String arch) {
        return new MapMetadata(FILE)
                .with("general.architecture", arch)
                .with(arch + ".context_length", 2048L)
                .with(arch + ".embedding_length", 256L)
                .with(arch + ".block_count", 4L)
                .with(arch + ".feed_forward_length", 704L)
                .with(arch + ".attention.head_count", 8L)
                .with(arch + ".attention.head_count_kv", 2L)
                .with(arch + ".attention.layer_norm_rms_epsilon", 1e-5f)
                .with("tokenizer.ggml.tokens", List.of("a", "b", "c"));
    }

    private static ModelConfig read(String arch, MapMetadata metadata) {
        DecoderArchitecture a = switch (arch) {
            case "llama" -> new LlamaArchitecture(new GqaAttention(), new SwiGluFeedForward(), new MixtureOfExperts());
            case "qwen2" -> new Qwen2Architecture(new GqaAttention(), new SwiGluFeedForward());
            case "qwen2moe" -> new Qwen2MoeArchitecture(new GqaAttention(), new SwiGluFeedForward(),
                    new MixtureOfExperts());
            case "qwen3moe" -> new Qwen3MoeArchitecture(new GqaAttention(), new SwiGluFeedForward(),
                    new MixtureOfExperts());
            default -> new Qwen3Architecture(new GqaAttention(), new SwiGluFeedForward());
        };
        return a.config(metadata);
    }

    private static ModelFormatException failure(String arch, MapMetadata metadata) {
        return assertThrows(ModelFormatException.class, () -> read(arch, metadata));
    }

    @Test
    void config_readsTheLlamaKeysAndDefaults() {
        ModelConfig c = read("llama", llama());
        AttentionConfig a = c.attention();
        assertEquals("llama", c.architecture());
        assertEquals("tiny.gguf", c.name());
        assertEquals(3, c.vocabularySize());
        assertEquals(2048, c.contextLength());
        assertEquals(256, c.embeddingLength());
        assertEquals(4, c.blockCount());
        assertEquals(704, c.feedForwardLength());
        assertEquals(1e-5f, c.normEps());
        assertEquals(8, a.headCount());
        assertEquals(2, a.kvHeadCount());
        assertEquals(32, a.keyLength());
        assertEquals(32, a.valueLength());
        assertEquals((float) (1 / Math.sqrt(32)), a.scale());
        assertEquals(RopeParams.of(RopeParams.Mode.NORMAL, 32, 10000f), a.rope());
        assertNull(c.moe());
        assertNull(a.mla());
    }

    @Test
    void config_ofQwen_rotatesHalvesAndTakesTheHeadLengthFromKeyLength() {
        ModelConfig c = read("qwen3", base("qwen3")
                .with("qwen3.attention.key_length", 128L)
                .with("qwen3.attention.value_length", 128L)
                .with("qwen3.rope.freq_base", 1000000f)
                .with("qwen3.vocab_size", 151936L)
                .with("general.name", "Qwen3 tiny"));
        assertEquals(128, c.attention().keyLength());
        assertEquals(RopeParams.of(RopeParams.Mode.NEOX, 128, 1000000f), c.attention().rope());
        assertEquals((float) (1 / Math.sqrt(128)), c.attention().scale());
        assertEquals(151936, c.vocabularySize());
        assertEquals("Qwen3 tiny", c.name());
        assertEquals(RopeParams.Mode.NEOX, read("qwen2", base("qwen2")).attention().rope().mode());
    }

    @Test
    void config_withoutKvHeads_isMultiHead() {
        assertEquals(8, read("llama", llama().without("llama.attention.head_count_kv")).attention().kvHeadCount());
    }

    @Test
    void config_acceptsPerLayerArraysOfOneValue() {
        ModelConfig c = read("llama", llama().with("llama.feed_forward_length", new int[] {704, 704, 704, 704}));
        assertEquals(704, c.feedForwardLength());
        ModelFormatException e = failure("llama", llama().with("llama.attention.head_count", new int[] {8, 8, 4, 8}));
        assertTrue(e.getMessage().contains("llama.attention.head_count") && e.getMessage().contains("differ"),
                e.getMessage());
    }

    @Test
    void config_ofLinearScaling_dividesTheFrequencies() {
        RopeParams rope = read("llama", llama().with("llama.rope.scaling.type", "linear")
                .with("llama.rope.scaling.factor", 4f)).attention().rope();
        assertEquals(0.25f, rope.freqScale());
        assertEquals(0f, rope.extFactor());
        // a factor with scaling type "none" is ignored, as llama.cpp does
        assertEquals(1f, read("llama", llama().with("llama.rope.scaling.type", "none")
                .with("llama.rope.scaling.factor", 4f)).attention().rope().freqScale());
    }

    @Test
    void config_ofYarn_setsTheMixAndTheOriginalContext() {
        RopeParams rope = read("qwen2", base("qwen2").with("qwen2.rope.scaling.type", "yarn")
                .with("qwen2.rope.scaling.factor", 4f)
                .with("qwen2.rope.scaling.original_context_length", 32768L)).attention().rope();
        assertEquals(new RopeParams(RopeParams.Mode.NEOX, 32, 10000f, 0.25f, 32768, 1f, 1f, 32f, 1f), rope);
    }

    @Test
    void llama3Factors_keepShortWavelengthsAndDivideLongOnes() {
        MapMetadata m = llama().with("llama.rope.scaling.type", "llama3")
                .with("llama.rope.scaling.factor", 8f)
                .with("llama.rope.scaling.low_freq_factor", 1f)
                .with("llama.rope.scaling.high_freq_factor", 4f)
                .with("llama.rope.scaling.original_context_length", 8192L)
                .with("llama.rope.freq_base", 500000f);
        assertEquals(1f, read("llama", m).attention().rope().freqScale());
        float[] f = RopeScaling.llama3Factors(new ArchKeys(m, "llama"), 128);
        assertEquals(64, f.length);
        assertEquals(1f, f[0]);
        assertEquals(8f, f[63]);
        for (int i = 1; i < f.length; i++) {
            assertTrue(f[i] >= f[i - 1]);
        }
        assertNull(RopeScaling.llama3Factors(new ArchKeys(llama(), "llama"), 128));
    }

    @Test
    void missingKey_isNamedWithTheFile() {
        ModelFormatException e = failure("llama", llama().without("llama.block_count"));
        assertEquals(FILE, e.source());
        assertEquals("llama.block_count", e.field());
        assertTrue(e.getMessage().contains("missing"), e.getMessage());
        assertEquals("llama.attention.layer_norm_rms_epsilon",
                failure("llama", llama().without("llama.attention.layer_norm_rms_epsilon")).field());
    }

    @Test
    void keyOfTheWrongType_saysWhatWasExpected() {
        ModelFormatException e = failure("llama", llama().with("llama.embedding_length", "256"));
        assertEquals("llama.embedding_length", e.field());
        assertTrue(e.getMessage().contains("integer"), e.getMessage());
    }

    @Test
    void kvHeadsThatDoNotDivideHeads_areRejected() {
        ModelFormatException e = failure("llama", llama().with("llama.attention.head_count_kv", 3L));
        assertEquals("llama.attention.head_count_kv", e.field());
        assertTrue(e.getMessage().contains("do not divide llama.attention.head_count = 8"), e.getMessage());
    }

    @Test
    void outOfRangeValues_areRejected() {
        assertEquals("llama.block_count", failure("llama", llama().with("llama.block_count", 0L)).field());
        assertEquals("llama.rope.dimension_count",
                failure("llama", llama().with("llama.rope.dimension_count", 33L)).field());
        assertEquals("llama.attention.layer_norm_rms_epsilon",
                failure("llama", llama().with("llama.attention.layer_norm_rms_epsilon", -1f)).field());
        ModelFormatException e = failure("llama", llama().with("llama.rope.scaling.type", "longrope"));
        assertTrue(e.getMessage().contains("known: none, linear, yarn, llama3"), e.getMessage());
    }

    @Test
    void vocabulary_needsASizeOrATokenList() {
        ModelFormatException e = failure("llama", llama().without("tokenizer.ggml.tokens"));
        assertEquals("llama.vocab_size", e.field());
        assertTrue(e.getMessage().contains("tokenizer.ggml.tokens"), e.getMessage());
    }

    @Test
    void mixtral_llamaWithExperts_sizesThemByFeedForwardLengthAndRenormalises() {
        ModelConfig c = read("llama", llama().with("llama.expert_count", 8L).with("llama.expert_used_count", 2L));
        assertEquals(new MoeConfig(8, 704, 0, 0, 0, false, new MoeRouting(Gating.SOFTMAX, 2, 1, 1, true, 1f)),
                c.moe());
        assertTrue(c.isMoeLayer(0));
        assertNull(read("llama", llama().with("llama.expert_count", 0L)).moe());
        // llama.cpp reads neither the gating nor the scale for llama: they are not honoured
        assertEquals(1f, read("llama", llama().with("llama.expert_count", 8L).with("llama.expert_used_count", 2L)
                .with("llama.expert_weights_scale", 2.5f)).moe().routing().scale());
    }

    @Test
    void qwenMoe_expertLengthFromItsKeyOrSplit_sharedExpertFromItsKeyOrTheFeedForwardLength() {
        ModelConfig c = read("qwen2moe", base("qwen2moe").with("qwen2moe.expert_count", 8L)
                .with("qwen2moe.expert_used_count", 2L));
        assertEquals(new MoeConfig(8, 352, 1, 704, 0, false, new MoeRouting(Gating.SOFTMAX, 2, 1, 1, false, 1f)),
                c.moe());
        c = read("qwen2moe", base("qwen2moe").with("qwen2moe.expert_count", 8L).with("qwen2moe.expert_used_count", 2L)
                .with("qwen2moe.expert_feed_forward_length", 64L)
                .with("qwen2moe.expert_shared_feed_forward_length", 96L));
        assertEquals(64, c.moe().expertFeedForwardLength());
        assertEquals(96, c.moe().sharedLength());
        c = read("qwen3moe", base("qwen3moe").with("qwen3moe.expert_count", 16L).with("qwen3moe.expert_used_count", 4L)
                .with("qwen3moe.expert_feed_forward_length", 48L));
        assertEquals(new MoeConfig(16, 48, 0, 0, 0, false, new MoeRouting(Gating.SOFTMAX, 4, 1, 1, true, 1f)),
                c.moe());
    }

    @Test
    void experts_whereTheFamilyHasNone_orNoneWhereItNeedsThem_areRefusedClearly() {
        ModelFormatException e = failure("qwen2", base("qwen2").with("qwen2.expert_count", 8L));
        assertEquals("qwen2.expert_count", e.field());
        assertTrue(e.getMessage().contains("has no experts"), e.getMessage());

        e = failure("qwen3moe", base("qwen3moe"));
        assertEquals("qwen3moe.expert_count", e.field());
        assertTrue(e.getMessage().contains("needs experts"), e.getMessage());

        e = failure("llama", llama().with("llama.expert_count", 8L));
        assertEquals("llama.expert_used_count", e.field());

        e = failure("llama", llama().with("llama.expert_count", 8L).with("llama.expert_used_count", 9L));
        assertEquals("llama.expert_used_count", e.field());
        assertTrue(e.getMessage().contains("at most llama.expert_count = 8"), e.getMessage());

        e = failure("llama", llama().with("llama.expert_count", 8L).with("llama.expert_used_count", 2L)
                .with("llama.expert_feed_forward_length", 100L));
        assertEquals("llama.expert_feed_forward_length", e.field());

        e = failure("qwen3moe", base("qwen3moe").with("qwen3moe.expert_count", 8L)
                .with("qwen3moe.expert_used_count", 3L));
        assertEquals("qwen3moe.expert_feed_forward_length", e.field());
        assertTrue(e.getMessage().contains("does not split into 3 experts"), e.getMessage());
    }
}
