package dev.petrel.quant.kernel;

import static dev.petrel.quant.kernel.Simd.B4;
import static dev.petrel.quant.kernel.Simd.I4;
import static dev.petrel.quant.kernel.Simd.S4;
import static dev.petrel.quant.kernel.Simd.SHORT_LE;

import dev.petrel.api.weights.TensorType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q4_0 (ggml type 2): blocks of 32 elements, 18 bytes each: an F16 scale {@code d}, then 16
 * bytes of nibbles. Byte {@code j} holds element {@code j} in its low nibble and element
 * {@code j + 16} in its high nibble; an element is {@code (nibble - 8) * d}. Dot type Q8_0.
 */
public abstract sealed class Q4_0Kernel extends QuantKernel permits Q4_0Kernel.Vector, Q4_0Kernel.Scalar {

    /** Elements per block. */
    public static final int BLOCK = 32;
    /** Bytes per block: F16 scale + 16 bytes of nibbles. */
    public static final int BLOCK_BYTES = 18;

    public static final Q4_0Kernel VECTOR = new Vector();
    public static final Q4_0Kernel SCALAR = new Scalar();

    /** Nibble bytes read per vector step. */
    private static final int STEP = B4.length();

    private Q4_0Kernel(boolean vectorized) {
        super(vectorized);
    }

    @Override
    public TensorType type() {
        return TensorType.Q4_0;
    }

    @Override
    public TensorType dotType() {
        return TensorType.Q8_0;
    }

    // ---- codec -----------------------------------------------------------------------

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        checkLength(n, BLOCK);
        for (int b = 0; b < n / BLOCK; b++) {
            long block = srcOffset + (long) b * BLOCK_BYTES;
            float d = F16Kernel.toFloat(src.get(SHORT_LE, block));
            int o = dstOffset + b * BLOCK;
            for (int j = 0; j < BLOCK / 2; j++) {
                int q = src.get(ValueLayout.JAVA_BYTE, block + 2 + j) & 0xFF;
                dst[o + j] = ((q & 0x0F) - 8) * d;
                dst[o + j + BLOCK / 2] = ((q >>> 4) - 8) * d;
            }
        }
    }

    /**
     * ggml's {@code quantize_row_q4_0_ref}: the element of largest magnitude, sign kept, maps to
     * -8 ({@code d = max / -8}); {@code q = min(15, (int8) (x / d + 8.5))} truncating.
     */
    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        checkLength(n, BLOCK);
        for (int b = 0; b < n / BLOCK; b++) {
            int o = srcOffset + b * BLOCK;
            long block = dstOffset + (long) b * BLOCK_BYTES;
            float amax = 0f;
            float max = 0f;
            for (int j = 0; j < BLOCK; j++) {
                float v = src[o + j];
                if (amax < Math.abs(v)) {
                    amax = Math.abs(v);
                    max = v;
                }
            }
            float d = max / -8;
            float id = d != 0f ? 1.0f / d : 0f;
            dst.set(SHORT_LE, block, F16Kernel.fromFloat(d));
            for (int j = 0; j < BLOCK / 2; j++) {
                int lo = nibble(src[o + j] * id);
                int hi = nibble(src[o + BLOCK / 2 + j] * id);
                dst.set(ValueLayout.JAVA_BYTE, block + 2 + j, (byte) (lo | hi << 4));
            }
        }
    }

    /** {@code (uint8_t) MIN(15, (int8_t) (v + 8.5f))} as x86 C computes it. */
    private static int nibble(float v) {
        return Math.min(15, (byte) X86.cvt(v + 8.5f)) & 0xFF;
    }

    @Override
    public void quantizeActivations(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        Q8_0Kernel.VECTOR.quantizeActivations(src, srcOffset, dst, dstOffset, n);
    }

    @Override
    public void quantizeActivations(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, int n) {
        Q8_0Kernel.VECTOR.quantizeActivations(src, srcOffset, dst, dstOffset, n);
    }

    // ---- dot products ------------------------------------------------------------------

    /**
     * The dot product as llama.cpp computes it on CPUs with AMX-INT8 (its AMX buffer type takes
     * every Q4_0 matrix whose row count is a multiple of 32): an exact int sum per block, then
     * one float accumulator that every block updates in order with a fused multiply-add,
     * {@code sum = fma(isum, d_w * d_x, sum)}, starting from zero. Both of its kernels sum this
     * way, the tile one for batches and the VNNI one for single tokens, so a prompt and a
     * decode step give the same values. (ggml's plain {@code vec_dot_q4_0_q8_0} differs only in
     * the order of the float additions: the results agree to a few ulps.)
     */
    private static float dotScalar(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        float sum = 0f;
        for (int b = 0; b < n / BLOCK; b++) {
            long wb = wOffset + (long) b * BLOCK_BYTES;
            long xb = xOffset + (long) b * Q8_0Kernel.BLOCK_BYTES;
            int isum = 0;
            for (int j = 0; j < BLOCK / 2; j++) {
                int q = w.get(ValueLayout.JAVA_BYTE, wb + 2 + j) & 0xFF;
                isum += ((q & 0x0F) - 8) * x.get(ValueLayout.JAVA_BYTE, xb + 2 + j);
                isum += ((q >>> 4) - 8) * x.get(ValueLayout.JAVA_BYTE, xb + 2 + BLOCK / 2 + j);
            }
            sum = Math.fma((float) isum, Simd.f16(w, wb) * Simd.f16(x, xb), sum);
        }
        return sum;
    }

    /**
     * {@link #dotScalar}'s sums with vectors: nibbles unpacked to [-8, 7], multiplied with the
     * int8 activations and summed pairwise into exact int lanes, whose total (exact, so in any
     * order) is the block's int sum; the blocks then go into one float accumulator in order,
     * one fused multiply-add each. The nibble bytes are widened to shorts before they are
     * split, because x86 has no byte shifts and shorts shift natively. The body is written out
     * here, not in helpers, for the reason given at {@code Q8_0Kernel.dotVector}.
     */
    private static float dotVector(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        float sum = 0f;
        int blocks = n / BLOCK;
        for (int b = 0; b < blocks; b++) {
            long wb = wOffset + b * (long) BLOCK_BYTES;
            long xb = xOffset + b * (long) Q8_0Kernel.BLOCK_BYTES;
            IntVector s = IntVector.zero(I4);
            for (int j = 0; j < BLOCK / 2; j += STEP) {
                ShortVector q = (ShortVector) ByteVector.fromMemorySegment(B4, w, wb + 2 + j, Simd.LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2S, S4, 0);
                ShortVector low = q.and((short) 0x0F).sub((short) 8); // elements j
                ShortVector high = q.lanewise(VectorOperators.LSHR, 4).sub((short) 8); // elements j + 16
                IntVector p = Simd.pairSums4(low.mul(Simd.widen4(x, xb + 2 + j))
                        .add(high.mul(Simd.widen4(x, xb + 2 + BLOCK / 2 + j))));
                s = s.add(p);
            }
            sum = Math.fma((float) s.reduceLanes(VectorOperators.ADD), Simd.f16(w, wb) * Simd.f16(x, xb), sum);
        }
        return sum;
    }

    /**
     * The Vector API kernels, in a class of their own: when the scalar and vector kernels of a
     * format share a method, C2 inlines both into it and runs out of its inlining budget before
     * the Vector API calls are intrinsified.
     */
    private static final class Vector extends Q4_0Kernel {

        Vector() {
            super(true);
        }

        @Override
        public float dot(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
            checkLength(n, BLOCK);
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
    private static final class Scalar extends Q4_0Kernel {

        Scalar() {
            super(false);
        }

        @Override
        public float dot(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
            checkLength(n, BLOCK);
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
