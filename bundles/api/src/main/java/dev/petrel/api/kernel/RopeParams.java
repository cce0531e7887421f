package dev.petrel.api.kernel;

import java.util.Objects;

/**
 * Rotary position embedding parameters, the same as ggml's {@code ggml_rope_ext} takes.
 *
 * <p>Dimension pair {@code i} ({@code 0 <= i < dimensions / 2}) of a token at position
 * {@code p} turns by {@code theta = p * freqBase^(-2i / dimensions) / freqFactor[i]}, with
 * YaRN's interpolation when {@code extFactor != 0}: {@code freqScale} interpolates, the
 * ramp between {@code betaFast} and {@code betaSlow} (in rotations over
 * {@code originalContext}) mixes interpolated and extrapolated angles, and cos/sin are
 * multiplied by {@code attnFactor} (times {@code 1 + 0.1 ln(1 / freqScale)} under YaRN), as
 * ggml's {@code rope_yarn} does.
 *
 * @param mode which elements form a pair
 * @param dimensions rotated elements per head ({@code n_rot}), even
 * @param freqBase {@code rope.freq_base} (10000 unless the model says otherwise)
 * @param freqScale 1 / {@code rope.scaling.factor} for linear and YaRN scaling, else 1
 * @param originalContext {@code rope.scaling.original_context_length} (YaRN), else 0
 * @param extFactor YaRN extrapolation mix: 1 with YaRN scaling, 0 without
 * @param attnFactor magnitude scale of cos/sin ({@code rope.scaling.attn_factor}, else 1)
 * @param betaFast YaRN ramp start (32 by default)
 * @param betaSlow YaRN ramp end (1 by default)
 */
public record RopeParams(Mode mode, int dimensions, float freqBase, float freqScale, int originalContext,
        float extFactor, float attnFactor, float betaFast, float betaSlow) {

    /** How rotated elements are paired within a head. */
    public enum Mode {
        /** Adjacent pairs {@code (2i, 2i + 1)}: llama, deepseek2. */
        NORMAL,
        /** Halves {@code (i, i + dimensions / 2)}: GPT-NeoX style, qwen2, qwen3. */
        NEOX
    }

    public RopeParams {
        Objects.requireNonNull(mode, "mode");
        if (dimensions < 2 || dimensions % 2 != 0) {
            throw new IllegalArgumentException("rope dimensions must be even and positive: " + dimensions);
        }
        if (!(freqBase > 0) || !(freqScale > 0) || originalContext < 0 || !Float.isFinite(extFactor)
                || !Float.isFinite(attnFactor) || !Float.isFinite(betaFast) || !Float.isFinite(betaSlow)) {
            throw new IllegalArgumentException("rope parameters out of range: base " + freqBase + ", scale "
                    + freqScale + ", original context " + originalContext);
        }
    }

    /** Plain RoPE without scaling. */
    public static RopeParams of(Mode mode, int dimensions, float freqBase) {
        return new RopeParams(mode, dimensions, freqBase, 1f, 0, 0f, 1f, 32f, 1f);
    }
}
