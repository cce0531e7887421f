package dev.petrel.kernels.cuda;

import dev.petrel.api.kernel.RopeParams;

/**
 * The per-call constants of the rope kernel, computed on the host with the same Java
 * expressions as the reference's rope cache (kernels-java's {@code RopeAngles}), so that the
 * GPU starts from the very floats the reference uses: {@code thetaScale = base^(-2 / dims)},
 * YaRN's correction range in pair indices, and the cos/sin magnitude.
 *
 * @param thetaScale factor from one pair's angle to the next
 * @param correctionLow first pair of the YaRN ramp
 * @param correctionHigh last pair of the YaRN ramp
 * @param magnitude multiplier of cos and sin
 */
record CudaRope(float thetaScale, float correctionLow, float correctionHigh, float magnitude) {

    static CudaRope of(RopeParams params) {
        int dims = params.dimensions();
        float thetaScale = (float) Math.pow(params.freqBase(), -2.0f / dims);
        float low = Math.max(0f, (float) Math.floor(correctionDim(params, params.betaFast())));
        float high = Math.min(dims - 1, (float) Math.ceil(correctionDim(params, params.betaSlow())));
        float magnitude = params.attnFactor();
        if (params.extFactor() != 0.0f) {
            magnitude *= 1.0f + 0.1f * (float) Math.log(1.0f / params.freqScale());
        }
        return new CudaRope(thetaScale, low, high, magnitude);
    }

    /** The dimension at which a wavelength makes {@code rotations} turns over the original context. */
    private static float correctionDim(RopeParams params, float rotations) {
        float pi = (float) Math.PI;
        return params.dimensions() * (float) Math.log(params.originalContext() / (rotations * 2 * pi))
                / (2 * (float) Math.log(params.freqBase()));
    }
}
