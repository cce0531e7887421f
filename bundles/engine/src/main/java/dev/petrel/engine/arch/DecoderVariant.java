package dev.petrel.engine.arch;

import dev.petrel.api.kernel.RopeParams;

/**
 * What sets one decoder family apart from another: everything else (RMSNorm, GQA, SwiGLU,
 * residuals, tied or separate output) they share.
 *
 * @param ropeMode which elements RoPE pairs: adjacent (llama) or halves (qwen)
 * @param qkvBias whether {@code attn_q/k/v.bias} are absent, optional or required
 * @param outputBias whether {@code attn_output.bias} may be present
 * @param qkNorm whether each head of the queries and keys is RMS-normalised before RoPE
 *        ({@code attn_q_norm}, {@code attn_k_norm}; qwen3)
 * @param ropeFreqs whether a {@code rope_freqs.weight} tensor (Llama 3 scaling) is read
 * @param moe how the family's mixture-of-experts layers are built, or null when it has none
 */
public record DecoderVariant(RopeParams.Mode ropeMode, Presence qkvBias, boolean outputBias, boolean qkNorm,
        boolean ropeFreqs, MoeStyle moe) {

    /** Whether a group of tensors is read. */
    public enum Presence {
        ABSENT, OPTIONAL, REQUIRED
    }

    /**
     * A family's mixture of experts as llama.cpp builds it: softmax gating in every case (the
     * family does not read {@code expert_gating_func}, {@code expert_weights_norm} or
     * {@code expert_weights_scale}), the expert group keys honoured.
     *
     * @param required whether {@code expert_count} must be above 0 (qwen2moe, qwen3moe) or
     *        may be (llama: Mixtral)
     * @param normalize whether the chosen experts' weights are renormalised to sum 1
     * @param expertLength where the routed experts' hidden length comes from
     * @param gatedSharedExpert whether every layer has one shared expert ({@code ffn_*_shexp})
     *        scaled by {@code sigmoid(ffn_gate_inp_shexp . x)} (qwen2moe)
     */
    public record MoeStyle(boolean required, boolean normalize, ExpertLength expertLength,
            boolean gatedSharedExpert) {
    }

    /** How a family finds the routed experts' hidden length. */
    public enum ExpertLength {
        /** {@code feed_forward_length}: llama reads no other key for its experts. */
        FEED_FORWARD_LENGTH,
        /**
         * {@code expert_feed_forward_length}, else {@code feed_forward_length / expert_used_count}
         * (qwen2moe, qwen3moe).
         */
        EXPERT_KEY_ELSE_SPLIT
    }

    public static final DecoderVariant LLAMA = new DecoderVariant(RopeParams.Mode.NORMAL, Presence.OPTIONAL, true,
            false, true, new MoeStyle(false, true, ExpertLength.FEED_FORWARD_LENGTH, false));

    public static final DecoderVariant QWEN2 =
            new DecoderVariant(RopeParams.Mode.NEOX, Presence.REQUIRED, false, false, false, null);

    public static final DecoderVariant QWEN3 =
            new DecoderVariant(RopeParams.Mode.NEOX, Presence.ABSENT, false, true, false, null);

    /** Qwen1.5-MoE / Qwen2-MoE: optional q/k/v biases, softmax top-k not renormalised, a gated shared expert. */
    public static final DecoderVariant QWEN2MOE = new DecoderVariant(RopeParams.Mode.NEOX, Presence.OPTIONAL, false,
            false, false, new MoeStyle(true, false, ExpertLength.EXPERT_KEY_ELSE_SPLIT, true));

    /** Qwen3-MoE: q/k norms as qwen3, softmax top-k renormalised, no shared expert. */
    public static final DecoderVariant QWEN3MOE = new DecoderVariant(RopeParams.Mode.NEOX, Presence.ABSENT, false,
            true, false, new MoeStyle(true, true, ExpertLength.EXPERT_KEY_ELSE_SPLIT, false));
}
