package dev.petrel.quant.kernel;

/**
 * The x86 semantics of the few instructions and C conversions whose corner cases (NaN, out of
 * range, ties) ggml's quantizers depend on, so the Java quantizers give the same bytes for every
 * input, not only for ordinary ones.
 */
final class X86 {

    private X86() {
    }

    /** {@code maxps a, b}: {@code a > b ? a : b}; the second operand wins ties, signed zeros and NaNs. */
    static float maxps(float a, float b) {
        return a > b ? a : b;
    }

    /**
     * Float to int32 as x86 converts ({@code cvttss2si}, and {@code cvtps2dq} of a value already
     * rounded to an integer): truncation toward zero; NaN and values outside int32 give the
     * "integer indefinite" {@code 0x80000000}, where Java would saturate or give 0.
     */
    static int cvt(float v) {
        return v >= -0x1p31f && v < 0x1p31f ? (int) v : Integer.MIN_VALUE;
    }

    /** C's {@code roundf}: to nearest, ties away from zero (Java's Math.round goes up on ties). */
    static float roundf(float v) {
        if (!(Math.abs(v) < 0x1p23f)) {
            return v; // already integral, infinite or NaN
        }
        // in double, |v| + 0.5 is exact, so floor sees the true value
        return (float) Math.copySign(Math.floor(Math.abs((double) v) + 0.5), v);
    }
}
