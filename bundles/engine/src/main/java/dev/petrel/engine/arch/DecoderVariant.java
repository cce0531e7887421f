package dev.petrel.engine.arch;

import dev.petrel.api.kernel.RopeParams;

/**
 * What sets one dense decoder family apart from another: everything else (RMSNorm, GQA,
 * SwiGLU, residuals, tied or separate output) they share.
 *
 * @param ropeMode which elements RoPE pairs: adjacent (llama) or halves (qwen)
 * @param qkvBias whether {@code attn_q/k/v.bias} are absent, optional or required
 * @param outputBias whether {@code attn_output.bias} may be present
 * @param qkNorm whether each head of the queries and keys is RMS-normalised before RoPE
 *        ({@code attn_q_norm}, {@code attn_k_norm}; qwen3)
 * @param ropeFreqs whether a {@code rope_freqs.weight} tensor (Llama 3 scaling) is read
 */
public record DecoderVariant(RopeParams.Mode ropeMode, Presence qkvBias, boolean outputBias, boolean qkNorm,
        boolean ropeFreqs) {

    /** Whether a group of tensors is read. */
    public enum Presence {
        ABSENT, OPTIONAL, REQUIRED
    }

    public static final DecoderVariant LLAMA =
            new DecoderVariant(RopeParams.Mode.NORMAL, Presence.OPTIONAL, true, false, true);

    public static final DecoderVariant QWEN2 =
            new DecoderVariant(RopeParams.Mode.NEOX, Presence.REQUIRED, false, false, false);

    public static final DecoderVariant QWEN3 =
            new DecoderVariant(RopeParams.Mode.NEOX, Presence.ABSENT, false, true, false);
}
