package dev.petrel.quant.kernel;

import static dev.petrel.quant.kernel.Simd.B;
import static dev.petrel.quant.kernel.Simd.SHORT_LE;

import dev.petrel.api.weights.TensorType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;
import jdk.incubator.vector.VectorOperators;

/**
 * Q8_0 (ggml type 8): blocks of 32 elements, 34 bytes each: an F16 scale {@code d}, then 32
 * int8 quants {@code q}; element {@code j} is {@code q[j] * d}. Its own dot type: activations
 * are quantized to Q8_0 too, and a dot product multiplies int8 by int8.
 */
public abstract sealed class Q8_0Kernel extends QuantKernel permits Q8_0Kernel.Vector, Q8_0Kernel.Scalar {

    /** Elements per block. */
    public static final int BLOCK = 32;
    /** Bytes per block: F16 scale + 32 quants. */
    public static final int BLOCK_BYTES = 34;

    public static final Q8_0Kernel VECTOR = new Vector();
    public static final Q8_0Kernel SCALAR = new Scalar();

    /** Bytes of one block's quants read per vector step. */
    private static final int STEP = B.length();

    private Q8_0Kernel(boolean vectorized) {
        super(vectorized);
    }

    @Override
    public TensorType type() {
        return TensorType.Q8_0;
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
            for (int j = 0; j < BLOCK; j++) {
                dst[o + j] = src.get(ValueLayout.JAVA_BYTE, block + 2 + j) * d;
            }
        }
    }

    /**
     * ggml's {@code quantize_row_q8_0_ref}: {@code d = amax / 127}, {@code q = roundf(x / d)}
     * computed as {@code x * (1 / d)}, ties away from zero.
     */
    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        checkLength(n, BLOCK);
        for (int b = 0; b < n / BLOCK; b++) {
            int o = srcOffset + b * BLOCK;
            long block = dstOffset + (long) b * BLOCK_BYTES;
            float amax = 0f;
            for (int j = 0; j < BLOCK; j++) {
                float a = Math.abs(src[o + j]);
                amax = amax > a ? amax : a; // C's MAX macro, NaN included
            }
            float d = amax / 127;
            float id = d != 0f ? 1.0f / d : 0f;
            dst.set(SHORT_LE, block, F16Kernel.fromFloat(d));
            for (int j = 0; j < BLOCK; j++) {
                // float to int8_t in C on x86: truncating conversion to int32, then the low byte
                dst.set(ValueLayout.JAVA_BYTE, block + 2 + j, (byte) X86.cvt(X86.roundf(src[o + j] * id)));
            }
        }
    }

    @Override
    public void quantizeActivations(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        checkLength(n, BLOCK);
        for (int b = 0; b < n / BLOCK; b++) {
            quantizeActivationBlock(src, srcOffset + b * BLOCK, dst, dstOffset + (long) b * BLOCK_BYTES);
        }
    }

    @Override
    public void quantizeActivations(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, int n) {
        checkLength(n, BLOCK);
        float[] block = new float[BLOCK];
        for (int b = 0; b < n / BLOCK; b++) {
            MemorySegment.copy(src, Simd.FLOAT_LE, srcOffset + 4L * b * BLOCK, block, 0, BLOCK);
            quantizeActivationBlock(block, 0, dst, dstOffset + (long) b * BLOCK_BYTES);
        }
    }

    /**
     * One block as llama.cpp's x86 {@code quantize_row_q8_0} (AVX/AVX2, also in AVX-512 builds)
     * computes it: {@code amax} by {@code maxps} over 8 lanes then halves, {@code d = amax / 127}
     * stored as F16, inverse scale {@code 127 / amax} (not {@code 1 / d}), rounding to nearest
     * even ({@code roundps}), then {@code cvtps2dq} and saturating packs to int8.
     */
    static void quantizeActivationBlock(float[] x, int o, MemorySegment dst, long block) {
        float l0 = lanesMax(x, o, 0), l1 = lanesMax(x, o, 1), l2 = lanesMax(x, o, 2), l3 = lanesMax(x, o, 3);
        float l4 = lanesMax(x, o, 4), l5 = lanesMax(x, o, 5), l6 = lanesMax(x, o, 6), l7 = lanesMax(x, o, 7);
        // upper 128-bit half against lower, then movehl, then movehdup: the order matters only for NaN
        float u0 = X86.maxps(l4, l0), u1 = X86.maxps(l5, l1), u2 = X86.maxps(l6, l2), u3 = X86.maxps(l7, l3);
        float amax = X86.maxps(X86.maxps(u0, u2), X86.maxps(u1, u3));
        float d = amax / 127f;
        dst.set(SHORT_LE, block, F16Kernel.fromFloatF16c(d));
        float id = amax != 0f ? 127f / amax : 0f;
        for (int j = 0; j < BLOCK; j++) {
            int q = X86.cvt((float) Math.rint(x[o + j] * id));
            dst.set(ValueLayout.JAVA_BYTE, block + 2 + j, (byte) Math.clamp(q, -128, 127));
        }
    }

    /** Lane {@code l} of {@code maxAbs} after folding the block's four 8-float vectors in order. */
    private static float lanesMax(float[] x, int o, int l) {
        float m = Math.abs(x[o + l]);
        m = X86.maxps(m, Math.abs(x[o + 8 + l]));
        m = X86.maxps(m, Math.abs(x[o + 16 + l]));
        return X86.maxps(m, Math.abs(x[o + 24 + l]));
    }

    // ---- dot products ------------------------------------------------------------------

    /**
     * The dot product as llama.cpp computes it on CPUs with AMX-INT8 (its AMX buffer type takes
     * every Q8_0 matrix whose row count is a multiple of 32): an exact int sum per block, then
     * one float accumulator that every block updates in order with a fused multiply-add,
     * {@code sum = fma(isum, d_w * d_x, sum)}, starting from zero; its tile kernel (batches) and
     * VNNI kernel (single tokens) both sum this way. (ggml's plain {@code vec_dot_q8_0_q8_0}
     * differs only in the order of the float additions: the results agree to a few ulps.)
     */
    private static float dotScalar(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        float sum = 0f;
        for (int b = 0; b < n / BLOCK; b++) {
            long wb = wOffset + (long) b * BLOCK_BYTES;
            long xb = xOffset + (long) b * BLOCK_BYTES;
            int isum = 0;
            for (int j = 0; j < BLOCK; j++) {
                isum += w.get(ValueLayout.JAVA_BYTE, wb + 2 + j) * x.get(ValueLayout.JAVA_BYTE, xb + 2 + j);
            }
            sum = Math.fma((float) isum, Simd.f16(w, wb) * Simd.f16(x, xb), sum);
        }
        return sum;
    }

    /**
     * ggml's x86 {@code ggml_vec_dot_q8_0_q8_0}: per block, eight int lanes of four products
     * each (bytes {@code 4m .. 4m+3} in lane {@code m}, as {@code maddubs} then {@code madd}
     * leave them), each converted to float and added to its own float lane with one fused
     * multiply-add by {@code d_w * d_x}; at the end the lanes are summed as
     * {@code hsum_float_8} does: {@code ((l0+l4) + (l2+l6)) + ((l1+l5) + (l3+l7))}.
     */
    @Override
    public float dotInVecDotOrder(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        checkLength(n, BLOCK);
        MemorySegment wv = view(w);
        MemorySegment xv = view(x);
        float l0 = 0f, l1 = 0f, l2 = 0f, l3 = 0f, l4 = 0f, l5 = 0f, l6 = 0f, l7 = 0f;
        for (int b = 0; b < n / BLOCK; b++) {
            long wb = wOffset + (long) b * BLOCK_BYTES + 2;
            long xb = xOffset + (long) b * BLOCK_BYTES + 2;
            float d = Simd.f16(wv, wb - 2) * Simd.f16(xv, xb - 2);
            l0 = Math.fma(d, laneSum(wv, wb, xv, xb, 0), l0);
            l1 = Math.fma(d, laneSum(wv, wb, xv, xb, 1), l1);
            l2 = Math.fma(d, laneSum(wv, wb, xv, xb, 2), l2);
            l3 = Math.fma(d, laneSum(wv, wb, xv, xb, 3), l3);
            l4 = Math.fma(d, laneSum(wv, wb, xv, xb, 4), l4);
            l5 = Math.fma(d, laneSum(wv, wb, xv, xb, 5), l5);
            l6 = Math.fma(d, laneSum(wv, wb, xv, xb, 6), l6);
            l7 = Math.fma(d, laneSum(wv, wb, xv, xb, 7), l7);
        }
        return ((l4 + l0) + (l6 + l2)) + ((l5 + l1) + (l7 + l3));
    }

    /** Lane {@code m} of a block: the exact sum of the products of quants {@code 4m .. 4m+3}, as a float. */
    private static float laneSum(MemorySegment w, long wb, MemorySegment x, long xb, int m) {
        long o = 4L * m;
        int s = w.get(ValueLayout.JAVA_BYTE, wb + o) * x.get(ValueLayout.JAVA_BYTE, xb + o)
                + w.get(ValueLayout.JAVA_BYTE, wb + o + 1) * x.get(ValueLayout.JAVA_BYTE, xb + o + 1)
                + w.get(ValueLayout.JAVA_BYTE, wb + o + 2) * x.get(ValueLayout.JAVA_BYTE, xb + o + 2)
                + w.get(ValueLayout.JAVA_BYTE, wb + o + 3) * x.get(ValueLayout.JAVA_BYTE, xb + o + 3);
        return s;
    }

    /**
     * {@link #dotScalar}'s sums with vectors: int8 products summed pairwise into exact int
     * lanes, whose total (exact, so in any order) is the block's int sum; the blocks then go into
     * one float accumulator in order, one fused multiply-add each.
     *
     * <p>The loop body is written out here rather than in a helper: a helper that C2 happens to
     * compile on its own first is "already compiled into a big method" and no longer inlined,
     * and Vector API values that cross a call are boxed (measured: 5 to 25 times slower).
     */
    private static float dotVector(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        float sum = 0f;
        int blocks = n / BLOCK;
        for (int b = 0; b < blocks; b++) {
            long wb = wOffset + b * (long) BLOCK_BYTES;
            long xb = xOffset + b * (long) BLOCK_BYTES;
            IntVector s = Simd.pairSums(Simd.widen(w, wb + 2).mul(Simd.widen(x, xb + 2)));
            for (int j = STEP; j < BLOCK; j += STEP) {
                s = s.add(Simd.pairSums(Simd.widen(w, wb + 2 + j).mul(Simd.widen(x, xb + 2 + j))));
            }
            sum = Math.fma((float) s.reduceLanes(VectorOperators.ADD), Simd.f16(w, wb) * Simd.f16(x, xb), sum);
        }
        return sum;
    }

    private static final VectorSpecies<Float> QF = Simd.F;
    private static final VectorSpecies<Byte> QB = VectorSpecies.of(byte.class,
            jdk.incubator.vector.VectorShape.forBitSize(Math.max(64, QF.length() * 8)));
    private static final float ROUNDING = 0x1.8p23f;

    /**
     * One block of finite values on vector lanes, as {@link #quantizeActivationBlock}; false
     * (nothing written) when the block needs that scalar path.
     */
    static boolean quantizeFiniteBlock(MemorySegment src, long from, MemorySegment dst, long block) {
        int lanes = QF.length();
        if (lanes < 8 || BLOCK % lanes != 0) {
            return false;
        }
        FloatVector max = FloatVector.zero(QF);
        for (int j = 0; j < BLOCK; j += lanes) {
            max = max.max(FloatVector.fromMemorySegment(QF, src, from + 4L * j, Simd.LE).abs());
        }
        float amax = max.reduceLanes(VectorOperators.MAX);
        float id = amax != 0f ? 127f / amax : 0f;
        if (!Float.isFinite(amax) || !Float.isFinite(id)) {
            return false;
        }
        dst.set(SHORT_LE, block, F16Kernel.fromFloatF16c(amax / 127f));
        for (int j = 0; j < BLOCK; j += lanes) {
            FloatVector v = FloatVector.fromMemorySegment(QF, src, from + 4L * j, Simd.LE).mul(id);
            v = v.add(ROUNDING).sub(ROUNDING);
            v.convert(VectorOperators.F2I, 0).convertShape(VectorOperators.I2B, QB, 0)
                    .intoMemorySegment(dst, block + 2 + j, Simd.LE);
        }
        return true;
    }

    /**
     * The Vector API kernels, in a class of their own: when the scalar and vector kernels of a
     * format share a method, C2 inlines both into it and runs out of its inlining budget before
     * the Vector API calls are intrinsified.
     */
    private static final class Vector extends Q8_0Kernel {

        Vector() {
            super(true);
        }

        /**
         * The blocks of finite rows on vector lanes: for finite values the largest magnitude
         * does not depend on the order of the maxima, and adding and taking off 1.5 * 2^23
         * rounds |v| <= 127 to the nearest integer, ties to even, as {@code roundps} does. A
         * block with a NaN or an infinity, or whose inverse scale overflows, takes the scalar
         * path, which follows the x86 instructions' rules for those.
         */
        @Override
        public void quantizeActivations(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, int n) {
            checkLength(n, BLOCK);
            MemorySegment in = view(src);
            MemorySegment out = view(dst);
            float[] block = null;
            // the Vector API reads native segments and byte[] ones only
            boolean lanes = (in.isNative() || in.heapBase().orElse(null) instanceof byte[])
                    && (out.isNative() || out.heapBase().orElse(null) instanceof byte[]);
            for (int b = 0; b < n / BLOCK; b++) {
                long from = srcOffset + 4L * b * BLOCK;
                long to = dstOffset + (long) b * BLOCK_BYTES;
                if (!lanes || !quantizeFiniteBlock(in, from, out, to)) {
                    block = block == null ? new float[BLOCK] : block;
                    MemorySegment.copy(in, Simd.FLOAT_LE, from, block, 0, BLOCK);
                    quantizeActivationBlock(block, 0, out, to);
                }
            }
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

        @Override
        public float dotInVecDotOrder(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
            checkLength(n, BLOCK);
            return dotLanesVector(view(w), wOffset, view(x), xOffset, n);
        }
    }

    private static final VectorSpecies<Integer> I8 = IntVector.SPECIES_256;
    private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;

    /**
     * {@link #dotInVecDotOrder} with 8-lane vectors, lane {@code m} being ggml's lane
     * {@code m}: a block's 32 quants read as eight little-endian ints hold lane {@code m}'s four
     * quants in int {@code m}; each byte is sign-extended by shifts and multiplied, the four
     * products summed exactly, and the lane sums go into eight float accumulators with one fused
     * multiply-add each, as ggml's AVX2 kernel does.
     */
    private static float dotLanesVector(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        FloatVector acc = FloatVector.zero(F8);
        for (int b = 0; b < n / BLOCK; b++) {
            long wb = wOffset + (long) b * BLOCK_BYTES;
            long xb = xOffset + (long) b * BLOCK_BYTES;
            IntVector wq = IntVector.fromMemorySegment(I8, w, wb + 2, Simd.LE);
            IntVector xq = IntVector.fromMemorySegment(I8, x, xb + 2, Simd.LE);
            IntVector sum = wq.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 24)
                    .mul(xq.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 24));
            sum = sum.add(wq.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 24)
                    .mul(xq.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 24)));
            sum = sum.add(wq.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 24)
                    .mul(xq.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 24)));
            sum = sum.add(wq.lanewise(VectorOperators.ASHR, 24).mul(xq.lanewise(VectorOperators.ASHR, 24)));
            FloatVector lanes = (FloatVector) sum.convert(VectorOperators.I2F, 0);
            float d = Simd.f16(w, wb) * Simd.f16(x, xb);
            acc = FloatVector.broadcast(F8, d).fma(lanes, acc);
        }
        return ((acc.lane(4) + acc.lane(0)) + (acc.lane(6) + acc.lane(2)))
                + ((acc.lane(5) + acc.lane(1)) + (acc.lane(7) + acc.lane(3)));
    }

    /** The scalar reference kernels. */
    private static final class Scalar extends Q8_0Kernel {

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
