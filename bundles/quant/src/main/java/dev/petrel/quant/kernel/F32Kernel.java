package dev.petrel.quant.kernel;

import static dev.petrel.quant.kernel.Simd.F;
import static dev.petrel.quant.kernel.Simd.FLOAT_LE;

import dev.petrel.api.weights.TensorType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/** F32 (ggml type 0): little-endian IEEE binary32. Its own dot type; activations are copied as they are. */
public abstract sealed class F32Kernel extends QuantKernel permits F32Kernel.Vector, F32Kernel.Scalar {

    public static final F32Kernel VECTOR = new Vector();
    public static final F32Kernel SCALAR = new Scalar();

    private static final int LANES = F.length();

    private F32Kernel(boolean vectorized) {
        super(vectorized);
    }

    @Override
    public TensorType type() {
        return TensorType.F32;
    }

    @Override
    public TensorType dotType() {
        return TensorType.F32;
    }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        checkLength(n, 1);
        MemorySegment.copy(src, FLOAT_LE, srcOffset, dst, dstOffset, n);
    }

    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        checkLength(n, 1);
        MemorySegment.copy(src, srcOffset, dst, FLOAT_LE, dstOffset, n);
    }

    @Override
    public void quantizeActivations(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        quantize(src, srcOffset, dst, dstOffset, n);
    }

    @Override
    public void quantizeActivations(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, int n) {
        checkLength(n, 1);
        MemorySegment.copy(src, srcOffset, dst, dstOffset, 4L * n);
    }

    /** ggml's generic {@code ggml_vec_dot_f32}: F32 products summed in double. */
    private static float dotScalar(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += w.get(FLOAT_LE, wOffset + 4L * i) * x.get(FLOAT_LE, xOffset + 4L * i);
        }
        return (float) sum;
    }

    private static float dotVector(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        FloatVector acc = FloatVector.zero(F);
        int upper = F.loopBound(n);
        for (int i = 0; i < upper; i += LANES) {
            FloatVector wv = FloatVector.fromMemorySegment(F, w, wOffset + 4L * i, Simd.LE);
            acc = wv.fma(FloatVector.fromMemorySegment(F, x, xOffset + 4L * i, Simd.LE), acc);
        }
        return Simd.sum(acc) + tail(w, wOffset, x, xOffset, upper, n);
    }

    /**
     * The vector kernel's dot product of float arrays: the same bits as {@link #dot} of segments
     * holding the same values (and so as the F16 and BF16 vector dots of the values those
     * widen to), for callers that widen a cache once and take many dots of it.
     */
    public static float dot(float[] w, int wOffset, float[] x, int xOffset, int n) {
        FloatVector acc = FloatVector.zero(F);
        int upper = F.loopBound(n);
        for (int i = 0; i < upper; i += LANES) {
            acc = FloatVector.fromArray(F, w, wOffset + i).fma(FloatVector.fromArray(F, x, xOffset + i), acc);
        }
        float sum = 0f;
        for (int i = upper; i < n; i++) {
            sum += w[wOffset + i] * x[xOffset + i];
        }
        return Simd.sum(acc) + sum;
    }

    private static float tail(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int from, int n) {
        float sum = 0f;
        for (int i = from; i < n; i++) {
            sum += w.get(FLOAT_LE, wOffset + 4L * i) * x.get(FLOAT_LE, xOffset + 4L * i);
        }
        return sum;
    }

    /**
     * The Vector API kernels, in a class of their own: when the scalar and vector kernels of a
     * format share a method, C2 inlines both into it and runs out of its inlining budget before
     * the Vector API calls are intrinsified.
     */
    private static final class Vector extends F32Kernel {

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
    private static final class Scalar extends F32Kernel {

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
