package dev.petrel.quant.kernel;

import static dev.petrel.quant.kernel.Simd.F;
import static dev.petrel.quant.kernel.Simd.H;
import static dev.petrel.quant.kernel.Simd.SHORT_LE;

import dev.petrel.api.weights.TensorType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;

/**
 * BF16 (ggml type 30): the upper 16 bits of an F32. Its own dot type: activations are rounded
 * to BF16 and the products of the widened operands (exact in F32) are summed, as ggml does.
 */
public abstract sealed class BF16Kernel extends QuantKernel permits BF16Kernel.Vector, BF16Kernel.Scalar {

    public static final BF16Kernel VECTOR = new Vector();
    public static final BF16Kernel SCALAR = new Scalar();

    private static final int LANES = F.length();

    private BF16Kernel(boolean vectorized) {
        super(vectorized);
    }

    @Override
    public TensorType type() {
        return TensorType.BF16;
    }

    @Override
    public TensorType dotType() {
        return TensorType.BF16;
    }

    // ---- scalar conversions ------------------------------------------------------------

    /** BF16 bits to F32: the bits become the upper half. */
    public static float toFloat(short h) {
        return Float.intBitsToFloat(h << 16);
    }

    /**
     * F32 to BF16 bits as ggml's {@code ggml_compute_fp32_to_bf16}: round to nearest even on
     * the dropped 16 bits (overflow goes to infinity, subnormals are kept), and a NaN is made
     * quiet by setting bit 6 of the result.
     */
    public static short fromFloat(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7FFF_FFFF) > 0x7F80_0000) {
            return (short) (bits >>> 16 | 64);
        }
        return (short) ((bits + (0x7FFF + (bits >>> 16 & 1))) >>> 16);
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
        quantize(src, srcOffset, dst, dstOffset, n);
    }

    @Override
    public void quantizeActivations(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, int n) {
        checkLength(n, 1);
        for (int i = 0; i < n; i++) {
            dst.set(SHORT_LE, dstOffset + 2L * i, fromFloat(src.get(Simd.FLOAT_LE, srcOffset + 4L * i)));
        }
    }

    // ---- dot products ------------------------------------------------------------------

    /** ggml's generic {@code ggml_vec_dot_bf16}: exact F32 products summed in double. */
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
            FloatVector wv = Simd.bf16ToFloat(ShortVector.fromMemorySegment(H, w, wOffset + 2L * i, Simd.LE));
            FloatVector xv = Simd.bf16ToFloat(ShortVector.fromMemorySegment(H, x, xOffset + 2L * i, Simd.LE));
            acc = wv.fma(xv, acc);
        }
        return Simd.sum(acc) + tail(w, wOffset, x, xOffset, upper, n);
    }

    private static float tail(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int from, int n) {
        float sum = 0f;
        for (int i = from; i < n; i++) {
            sum += toFloat(w.get(SHORT_LE, wOffset + 2L * i)) * toFloat(x.get(SHORT_LE, xOffset + 2L * i));
        }
        return sum;
    }

    /**
     * The Vector API kernels, in a class of their own: when the scalar and vector kernels of a
     * format share a method, C2 inlines both into it and runs out of its inlining budget before
     * the Vector API calls are intrinsified.
     */
    private static final class Vector extends BF16Kernel {

        Vector() {
            super(true);
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
    private static final class Scalar extends BF16Kernel {

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
