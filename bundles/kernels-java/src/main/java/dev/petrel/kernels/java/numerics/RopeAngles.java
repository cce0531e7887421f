package dev.petrel.kernels.java.numerics;

import dev.petrel.api.kernel.RopeParams;

/**
 * The cos/sin table of one position, computed as ggml's rope cache: the angle of pair
 * {@code i} starts at the position and is multiplied {@code i} times by
 * {@code theta_scale = base^(-2 / dims)} in float, divided by the pair's frequency factor,
 * then mixed by YaRN ({@code rope_yarn}) and scaled by the attention factor.
 *
 * <p>Both backends use this one definition: the table costs {@code dims} transcendental
 * calls per token, nothing worth vectorising, and sharing it keeps their angles identical.
 */
public final class RopeAngles {

    private final RopeParams params;
    private final float thetaScale;
    private final float correctionLow;
    private final float correctionHigh;

    public RopeAngles(RopeParams params) {
        this.params = params;
        int dims = params.dimensions();
        this.thetaScale = (float) Math.pow(params.freqBase(), -2.0f / dims);
        this.correctionLow = Math.max(0f, (float) Math.floor(correctionDim(params.betaFast())));
        this.correctionHigh = Math.min(dims - 1, (float) Math.ceil(correctionDim(params.betaSlow())));
    }

    /**
     * Fills {@code table[2i] = cos} and {@code table[2i + 1] = sin} of pair {@code i} for a
     * token at {@code position}.
     *
     * @param freqFactors one divisor per pair, or null
     */
    public void fill(int position, float[] freqFactors, float[] table) {
        float theta = position;
        for (int i0 = 0; i0 < params.dimensions(); i0 += 2) {
            float factor = freqFactors == null ? 1.0f : freqFactors[i0 / 2];
            yarn(theta / factor, i0, table);
            theta *= thetaScale;
        }
    }

    private void yarn(float thetaExtrapolated, int i0, float[] table) {
        float freqScale = params.freqScale();
        float thetaInterpolated = freqScale * thetaExtrapolated;
        float theta = thetaInterpolated;
        float magnitude = params.attnFactor();
        if (params.extFactor() != 0.0f) {
            float mix = ramp(i0) * params.extFactor();
            theta = thetaInterpolated * (1 - mix) + thetaExtrapolated * mix;
            magnitude *= 1.0f + 0.1f * (float) Math.log(1.0f / freqScale);
        }
        table[i0] = (float) Math.cos(theta) * magnitude;
        table[i0 + 1] = (float) Math.sin(theta) * magnitude;
    }

    /** 1 below the correction range, 0 above it, linear between (in pair index). */
    private float ramp(int i0) {
        float y = (i0 / 2 - correctionLow) / Math.max(0.001f, correctionHigh - correctionLow);
        return 1 - Math.min(1, Math.max(0, y));
    }

    /** The dimension at which a wavelength makes {@code rotations} turns over the original context. */
    private float correctionDim(float rotations) {
        float pi = (float) Math.PI;
        return params.dimensions() * (float) Math.log(params.originalContext() / (rotations * 2 * pi))
                / (2 * (float) Math.log(params.freqBase()));
    }
}
