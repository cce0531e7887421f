package dev.petrel.engine.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.petrel.api.ModelFormatException;
import dev.petrel.api.experts.MoeConfig;
import dev.petrel.api.kernel.MoeRouting;
import dev.petrel.api.kernel.MoeRouting.Gating;
import org.junit.jupiter.api.Test;

/** The GGUF mixture-of-experts keys, their defaults, and the messages when they are wrong. */
class MoeKeysTest {

    private static final String FILE = "/models/moe.gguf";

    private static MapMetadata v3() {
        return new MapMetadata(FILE)
                .with("deepseek2.block_count", 4L)
                .with("deepseek2.expert_count", 16L)
                .with("deepseek2.expert_used_count", 4L)
                .with("deepseek2.expert_feed_forward_length", 48L)
                .with("deepseek2.expert_shared_count", 1L)
                .with("deepseek2.leading_dense_block_count", 1L)
                .with("deepseek2.expert_gating_func", 2L)
                .with("deepseek2.expert_group_count", 4L)
                .with("deepseek2.expert_group_used_count", 2L)
                .with("deepseek2.expert_weights_norm", true)
                .with("deepseek2.expert_weights_scale", 2.5f);
    }

    private static ModelFormatException failure(MapMetadata metadata) {
        return assertThrows(ModelFormatException.class, () -> new MoeKeys(metadata, "deepseek2").full(true));
    }

    @Test
    void full_readsEveryKey() {
        MoeConfig c = new MoeKeys(v3(), "deepseek2").full(true);
        assertEquals(new MoeConfig(16, 48, 1, 0, 1, true, new MoeRouting(Gating.SIGMOID, 4, 4, 2, true, 2.5f)), c);
        assertEquals(48, c.sharedLength());
        assertFalse(c.isMoeLayer(0));
        assertTrue(c.isMoeLayer(1));
    }

    @Test
    void full_defaultsAreSoftmaxNoGroupsNoNormalisationNoScale() {
        MapMetadata m = v3().without("deepseek2.expert_gating_func").without("deepseek2.expert_group_count")
                .without("deepseek2.expert_group_used_count").without("deepseek2.expert_weights_norm")
                .without("deepseek2.expert_weights_scale").without("deepseek2.leading_dense_block_count")
                .without("deepseek2.expert_shared_count");
        assertEquals(new MoeConfig(16, 48, 0, 0, 0, false, new MoeRouting(Gating.SOFTMAX, 4, 1, 1, false, 1f)),
                new MoeKeys(m, "deepseek2").full(false));
        assertEquals(Gating.SOFTMAX, new MoeKeys(v3().with("deepseek2.expert_gating_func", 1L), "deepseek2").gating());
        assertEquals(1f, new MoeKeys(v3().with("deepseek2.expert_weights_scale", 0f), "deepseek2").scale());
    }

    @Test
    void present_onlyWithExpertsAboveZero() {
        assertTrue(new MoeKeys(v3(), "deepseek2").present());
        assertFalse(new MoeKeys(v3().with("deepseek2.expert_count", 0L), "deepseek2").present());
        assertFalse(new MoeKeys(v3().without("deepseek2.expert_count"), "deepseek2").present());
    }

    @Test
    void expertFeedForwardLength_fallsBackToTheKeyTheArchitectureNames() {
        MapMetadata m = new MapMetadata(FILE).with("llama.feed_forward_length", 64L);
        assertEquals(64, new MoeKeys(m, "llama").expertFeedForwardLength("feed_forward_length"));
        m.with("llama.expert_feed_forward_length", 32L);
        assertEquals(32, new MoeKeys(m, "llama").expertFeedForwardLength("feed_forward_length"));
    }

    @Test
    void errors_nameTheKeyAndWhatWasExpected() {
        ModelFormatException e = failure(v3().with("deepseek2.expert_used_count", 17L));
        assertEquals("deepseek2.expert_used_count", e.field());
        assertTrue(e.getMessage().contains("at most deepseek2.expert_count = 16"), e.getMessage());

        e = failure(v3().with("deepseek2.expert_gating_func", 3L));
        assertEquals("deepseek2.expert_gating_func", e.field());
        assertTrue(e.getMessage().contains("expected 1 (softmax) or 2 (sigmoid), found 3"), e.getMessage());

        e = failure(v3().with("deepseek2.expert_group_count", 3L));
        assertEquals("deepseek2.expert_group_count", e.field());
        assertTrue(e.getMessage().contains("divisor of deepseek2.expert_count = 16"), e.getMessage());

        e = failure(v3().without("deepseek2.expert_group_used_count"));
        assertEquals("deepseek2.expert_group_used_count", e.field());

        e = failure(v3().with("deepseek2.expert_group_used_count", 5L));
        assertEquals("deepseek2.expert_group_used_count", e.field());

        e = failure(v3().with("deepseek2.expert_used_count", 9L));   // 2 groups of 4 hold only 8
        assertEquals("deepseek2.expert_used_count", e.field());
        assertTrue(e.getMessage().contains("cannot choose 9 experts from 2 groups of 4"), e.getMessage());

        e = failure(v3().with("deepseek2.leading_dense_block_count", 4L));
        assertEquals("deepseek2.leading_dense_block_count", e.field());
        assertTrue(e.getMessage().contains("fewer dense blocks than deepseek2.block_count = 4"), e.getMessage());

        e = failure(v3().with("deepseek2.expert_shared_count", -1L));
        assertEquals("deepseek2.expert_shared_count", e.field());

        e = failure(v3().with("deepseek2.expert_weights_scale", -2f));
        assertEquals("deepseek2.expert_weights_scale", e.field());

        e = failure(v3().with("deepseek2.expert_weights_norm", 1L));
        assertEquals("deepseek2.expert_weights_norm", e.field());

        e = failure(v3().without("deepseek2.expert_feed_forward_length"));
        assertEquals("deepseek2.expert_feed_forward_length", e.field());

        e = failure(v3().without("deepseek2.expert_used_count"));
        assertEquals("deepseek2.expert_used_count", e.field());
    }
}
