package dev.petrel.quant.kernel;

import static dev.petrel.quant.kernel.Simd.F;
import static dev.petrel.quant.kernel.Simd.H;
import static dev.petrel.quant.kernel.Simd.SHORT_LE;

import dev.petrel.api.weights.TensorType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;

/**
 * F16 (ggml type 1): IEEE binary16, two bytes per element. Its own dot type: activations are
 * rounded to F16 and both operands are widened to F32 for the products (each exact in F32), as
 * ggml does.
 */
public abstract sealed class F16Kernel extends QuantKernel permits F16Kernel.Vector, F16Kernel.Scalar {

    public static final F16Kernel VECTOR = new Vector();
    public static final F16Kernel SCALAR = new Scalar();

    private static final int LANES = F.length();

    private F16Kernel(boolean vectorized) {
        super(vectorized);
    }

    @Override
    public TensorType type() {
        return TensorType.F16;
    }

    @Override
    public TensorType dotType() {
        return TensorType.F16;
    }

    // ---- scalar conversions ------------------------------------------------------------

    /**
     * F16 bits to F32, exact. A NaN comes back quiet with its payload, as x86's
     * {@code vcvtph2ps} returns it (Java's own conversion may leave a signalling NaN signalling).
     */
    public static float toFloat(short h) {
        if ((h & 0x7C00) == 0x7C00 && (h & 0x03FF) != 0) {
            return Float.intBitsToFloat((h & 0x8000) << 16 | 0x7FC0_0000 | (h & 0x03FF) << 13);
        }
        return Float.float16ToFloat(h);
    }

    /**
     * F32 to F16 bits as ggml's reference {@code GGML_FP32_TO_FP16} computes it: round to
     * nearest even, overflow to infinity, subnormal halves kept; a NaN becomes ggml's canonical
     * quiet NaN {@code 0x7E00} with its sign.
     */
    public static short fromFloat(float f) {
        if (Float.isNaN(f)) {
            return (short) (Float.floatToRawIntBits(f) >>> 16 & 0x8000 | 0x7E00);
        }
        return Float.floatToFloat16(f);
    }

    /**
     * F32 to F16 as llama.cpp's CPU backend converts activations on x86 ({@code vcvtps2ph},
     * round to nearest even): like {@link #fromFloat} but a NaN keeps the top of its payload.
     */
    static short fromFloatF16c(float f) {
        if (Float.isNaN(f)) {
            int bits = Float.floatToRawIntBits(f);
            return (short) (bits >>> 16 & 0x8000 | 0x7E00 | bits >>> 13 & 0x03FF);
        }
        return Float.floatToFloat16(f);
    }

    // ---- codec -----------------------------------------------------------------------

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        checkLength(n, 1);
        for (int i = 0; i < n; i++) {
            dst[dstOffset + i] = toFloat(src.get(SHORT_LE, srcOffset + 2L * i));
        }
    }

    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        checkLength(n, 1);
        for (int i = 0; i < n; i++) {
            dst.set(SHORT_LE, dstOffset + 2L * i, fromFloat(src[srcOffset + i]));
        }
    }

    @Override
    public void quantizeActivations(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        checkLength(n, 1);
        for (int i = 0; i < n; i++) {
            dst.set(SHORT_LE, dstOffset + 2L * i, fromFloatF16c(src[srcOffset + i]));
        }
    }

    @Override
    public void quantizeActivations(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, int n) {
        checkLength(n, 1);
        for (int i = 0; i < n; i++) {
            dst.set(SHORT_LE, dstOffset + 2L * i, fromFloatF16c(src.get(Simd.FLOAT_LE, srcOffset + 4L * i)));
        }
    }

    // ---- dot products ------------------------------------------------------------------

    /** ggml's generic {@code ggml_vec_dot_f16}: exact F32 products summed in double. */
    private static float dotScalar(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += toFloat(w.get(SHORT_LE, wOffset + 2L * i)) * toFloat(x.get(SHORT_LE, xOffset + 2L * i));
        }
        return (float) sum;
    }

    private static float dotVector(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        FloatVector acc = FloatVector.zero(F);
        int upper = F.loopBound(n);
        for (int i = 0; i < upper; i += LANES) {
            FloatVector wv = Simd.halfToFloat(ShortVector.fromMemorySegment(H, w, wOffset + 2L * i, Simd.LE));
            FloatVector xv = Simd.halfToFloat(ShortVector.fromMemorySegment(H, x, xOffset + 2L * i, Simd.LE));
            acc = wv.fma(xv, acc);
        }
        return Simd.sum(acc) + tail(w, wOffset, x, xOffset, upper, n);
    }

    /** Elements past the last whole vector, in order. */
    private static float tail(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int from, int n) {
        float sum = 0f;
        for (int i = from; i < n; i++) {
            sum += Simd.f16(w, wOffset + 2L * i) * Simd.f16(x, xOffset + 2L * i);
        }
        return sum;
    }

    /**
     * The Vector API kernels, in a class of their own: when the scalar and vector kernels of a
     * format share a method, C2 inlines both into it and runs out of its inlining budget before
     * the Vector API calls are intrinsified.
     */
    private static final class Vector extends F16Kernel {

        Vector() {
            super(true);
        }

        /** The same floats as the scalar loop (NaNs quiet, as {@link #toFloat}), a vector at a time. */
        @Override
        public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
            checkLength(n, 1);
            MemorySegment s = view(src);
            int upper = F.loopBound(n);
            for (int i = 0; i < upper; i += LANES) {
                Simd.halfToFloat(ShortVector.fromMemorySegment(H, s, srcOffset + 2L * i, Simd.LE))
                        .intoArray(dst, dstOffset + i);
            }
            for (int i = upper; i < n; i++) {
                dst[dstOffset + i] = toFloat(s.get(SHORT_LE, srcOffset + 2L * i));
            }
        }

        @Override
        public float dot(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
            checkLength(n, 1);
            return dotVector(view(w), wOffset, view(x), xOffset, n);
        }

        @Override
        void dotTokens(MemorySegment w, long wOffset, MemorySegment x, long xOffset, long xStride, int tokens,
                float[] out, int n) {
            for (int t = 0; t < tokens; t++) {
                out[t] = dotVector(w, wOffset, x, xOffset + t * xStride, n);
            }
        }
    }

    /** The scalar reference kernels. */
    private static final class Scalar extends F16Kernel {

        Scalar() {
            super(false);
        }

        @Override
        public float dot(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
            checkLength(n, 1);
            return dotScalar(view(w), wOffset, view(x), xOffset, n);
        }

        @Override
        void dotTokens(MemorySegment w, long wOffset, MemorySegment x, long xOffset, long xStride, int tokens,
                float[] out, int n) {
            for (int t = 0; t < tokens; t++) {
                out[t] = dotScalar(w, wOffset, x, xOffset + t * xStride, n);
            }
        }
    }
}
