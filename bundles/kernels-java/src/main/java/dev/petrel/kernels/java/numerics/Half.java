package dev.petrel.kernels.java.numerics;

/**
 * F16 and BF16 conversions with ggml's rounding: round to nearest, ties to even, in both
 * directions of every conversion the kernels make (cache writes, activations rounded to a
 * weight's or a cache's dot type).
 */
public final class Half {

    private Half() {
    }

    public static float f16ToFloat(short bits) {
        return Float.float16ToFloat(bits);
    }

    public static short floatToF16(float value) {
        return Float.floatToFloat16(value);
    }

    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    /** Rounds to nearest even; a NaN stays a quiet NaN (as ggml's fp32 to bf16 does). */
    public static short floatToBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            return (short) ((bits >>> 16) | 64);
        }
        return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
    }

    /** {@code value} as it reads back after a round trip through F16. */
    public static float roundToF16(float value) {
        return f16ToFloat(floatToF16(value));
    }

    /** {@code value} as it reads back after a round trip through BF16. */
    public static float roundToBf16(float value) {
        return bf16ToFloat(floatToBf16(value));
    }
}
