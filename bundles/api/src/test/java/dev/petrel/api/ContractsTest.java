package dev.petrel.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.petrel.api.attention.AttentionConfig;
import dev.petrel.api.engine.GenerationRequest;
import dev.petrel.api.engine.LoadOptions;
import dev.petrel.api.engine.SamplerSettings;
import dev.petrel.api.experts.MoeConfig;
import dev.petrel.api.kernel.MoeRouting;
import dev.petrel.api.kernel.MoeRouting.Gating;
import dev.petrel.api.kernel.RopeParams;
import dev.petrel.api.kernel.RopeParams.Mode;
import dev.petrel.api.quant.BlockScales;
import dev.petrel.api.weights.TensorType;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The arithmetic and validation the api's value types carry. */
class ContractsTest {

    @Test
    void blockScales_indexBlocksOfEachStackedMatrix() {
        // 2 matrices of 3 rows x 5 columns, blocks of 2 x 2: 2 x 3 scales per matrix.
        float[] values = new float[12];
        for (int i = 0; i < values.length; i++) {
            values[i] = i;
        }
        BlockScales scales = new BlockScales(MemorySegment.ofArray(values), 2, 2, 3, 5);
        assertEquals(6, scales.scalesPerMatrix());
        assertEquals(0f, scales.scale(0, 0));
        assertEquals(2f, scales.scale(1, 4));
        assertEquals(3f, scales.scale(2, 0));
        assertEquals(6f, scales.scale(3, 1)); // first row of the second matrix
        assertEquals(11f, scales.scale(5, 4));
    }

    @Test
    void blockScales_tooFewValuesAreRejected() {
        assertThrows(IllegalArgumentException.class,
                () -> new BlockScales(MemorySegment.ofArray(new float[5]), 2, 2, 3, 5));
    }

    @Test
    void attentionConfig_mlaCachesTheLatentOnly() {
        // DeepSeek-V2: 128 heads, qk_nope 128 + qk_rope 64, v 128, kv_lora_rank 512.
        RopeParams rope = RopeParams.of(Mode.NORMAL, 64, 10000f);
        AttentionConfig mla = new AttentionConfig(5120, 128, 128, 192, 128, (float) (1 / Math.sqrt(192)), 1e-6f,
                rope, new AttentionConfig.Mla(1536, 512, 128, 64));
        assertEquals(576, mla.cacheElementsPerToken());
        assertEquals(128 * 320, mla.mhaEquivalentElementsPerToken());
        assertEquals(1152, mla.cacheBytesPerToken(TensorType.F16));
        assertThrows(IllegalArgumentException.class, () -> new AttentionConfig(5120, 128, 1, 192, 128, 0.07f, 1e-6f,
                rope, new AttentionConfig.Mla(1536, 512, 128, 64)));
    }

    @Test
    void attentionConfig_gqaHeadsMustDivide() {
        RopeParams rope = RopeParams.of(Mode.NEOX, 64, 1e6f);
        AttentionConfig gqa = new AttentionConfig(896, 14, 2, 64, 64, 0.125f, 1e-6f, rope, null);
        assertEquals(2 * 128, gqa.cacheElementsPerToken());
        assertFalse(gqa.isMla());
        assertThrows(IllegalArgumentException.class,
                () -> new AttentionConfig(896, 14, 3, 64, 64, 0.125f, 1e-6f, rope, null));
    }

    @Test
    void moeConfig_groupLimitMustLeaveEnoughExperts() {
        MoeRouting v3 = new MoeRouting(Gating.SIGMOID, 8, 8, 4, true, 2.5f);
        MoeConfig config = new MoeConfig(256, 2048, 1, 0, 3, true, v3);
        assertEquals(2048, config.sharedLength());
        assertFalse(config.isMoeLayer(2));
        assertTrue(config.isMoeLayer(3));
        MoeRouting tooMany = new MoeRouting(Gating.SIGMOID, 8, 4, 1, true, 1f);
        assertThrows(IllegalArgumentException.class, () -> new MoeConfig(16, 64, 0, 0, 0, false, tooMany));
    }

    @Test
    void ropeParams_oddDimensionsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> RopeParams.of(Mode.NORMAL, 63, 10000f));
    }

    @Test
    void requests_copyTheirArraysAndCheckRanges() {
        int[] prompt = {1, 2, 3};
        GenerationRequest request = GenerationRequest.of(prompt, SamplerSettings.GREEDY, 8);
        prompt[0] = 42;
        assertEquals(1, request.promptIds()[0]);
        assertTrue(request.sampling().isGreedy());
        assertThrows(IllegalArgumentException.class, () -> SamplerSettings.DEFAULTS.withTemperature(-1f));
        assertThrows(IllegalArgumentException.class,
                () -> new GenerationRequest(prompt, SamplerSettings.GREEDY, 8, List.of(""), false));
        assertThrows(IllegalArgumentException.class, () -> new LoadOptions(0, TensorType.Q8_0, null));
    }
}
