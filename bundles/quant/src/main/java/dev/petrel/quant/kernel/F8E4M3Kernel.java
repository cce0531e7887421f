package dev.petrel.quant.kernel;

import static dev.petrel.quant.kernel.Simd.F;
import static dev.petrel.quant.kernel.Simd.FLOAT_LE;

import dev.petrel.api.quant.BlockScales;
import dev.petrel.api.weights.TensorType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * FP8 E4M3 ("e4m3fn", safetensors {@code F8_E4M3}): one byte per element, 1 sign bit, 4
 * exponent bits (bias 7), 3 mantissa bits; subnormals at exponent 0, no infinities, and
 * {@code 0x7F}/{@code 0xFF} are NaN. The largest finite value is 448.
 *
 * <p>The weights are block-scaled (DeepSeek-V3's {@code weight_scale_inv}, one F32 per
 * 128 × 128 block): element {@code (r, c)} is worth {@code decode(byte) * scale(r, c)}. The
 * plain {@link #dot} is unscaled; {@link #dotScaled} and {@link #matmulScaled} apply the
 * scales inside the product, one block of columns at a time: the exact dot of the block's
 * decoded bytes with the F32 activations, then one fused multiply-add with the block's scale,
 * blocks in order. Nothing is expanded to floats in memory.
 *
 * <p>Activations stay F32 (the dot type), as llama.cpp does for types without an integer dot.
 */
public abstract sealed class F8E4M3Kernel extends QuantKernel permits F8E4M3Kernel.Vector, F8E4M3Kernel.Scalar {

    public static final F8E4M3Kernel VECTOR = new Vector();
    public static final F8E4M3Kernel SCALAR = new Scalar();

    /** The largest finite E4M3 value. */
    public static final float MAX = 448f;

    private static final int LANES = F.length();
    /** Bytes that widen into two float vectors: twice as many lanes as F, half its bits. */
    private static final VectorSpecies<Byte> B2 = VectorSpecies.of(byte.class,
            VectorShape.forBitSize(Math.max(64, F.vectorBitSize() / 2)));
    private static final int STEP = B2.length();
    private static final float[] DECODE = new float[256];

    static {
        for (int b = 0; b < 256; b++) {
            DECODE[b] = decodeBits(b);
        }
    }

    private F8E4M3Kernel(boolean vectorized) {
        super(vectorized);
    }

    @Override
    public TensorType type() {
        return TensorType.F8_E4M3;
    }

    @Override
    public TensorType dotType() {
        return TensorType.F32;
    }

    // ---- scalar conversions ------------------------------------------------------------

    /** The value of an E4M3 byte (exact). */
    public static float toFloat(byte b) {
        return DECODE[b & 0xFF];
    }

    private static float decodeBits(int b) {
        int magnitude = b & 0x7F;
        if (magnitude == 0x7F) {
            return Float.NaN;
        }
        // The 7 bits shifted into a float's exponent and mantissa, rebiased by 2^(127-7): exact,
        // subnormal codes included (they become small float subnormals, scaled to normals).
        float value = Float.intBitsToFloat(magnitude << 20) * 0x1p120f;
        return (b & 0x80) != 0 ? -value : value;
    }

    /**
     * The E4M3 byte nearest to {@code f} (ties to even), saturating to ±448 as DeepSeek's
     * quantizer clamps; NaN becomes {@code 0x7F}.
     */
    public static byte fromFloat(float f) {
        if (Float.isNaN(f)) {
            return 0x7F;
        }
        int sign = Float.floatToRawIntBits(f) >>> 31 << 7;
        double a = Math.min(Math.abs((double) f), MAX);
        int code;
        if (a < 0x1p-6) {
            // subnormal range: multiples of 2^-9; 8 × 2^-9 rounds up into the first normal code, 0x08
            code = (int) Math.rint(a * 0x1p9);
        } else {
            int exponent = Math.getExponent(a);
            int mantissa = (int) Math.rint((a / Math.scalb(1.0, exponent) - 1) * 8);
            if (mantissa == 8) {
                exponent++;
                mantissa = 0;
            }
            code = (exponent + 7) << 3 | mantissa;
        }
        return (byte) (sign | code);
    }

    // ---- codec -----------------------------------------------------------------------

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        checkLength(n, 1);
        for (int i = 0; i < n; i++) {
            dst[dstOffset + i] = toFloat(src.get(ValueLayout.JAVA_BYTE, srcOffset + i));
        }
    }

    /** Encodes the values as they are (unit scale); block-scaled writers divide by the scale first. */
    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        checkLength(n, 1);
        for (int i = 0; i < n; i++) {
            dst.set(ValueLayout.JAVA_BYTE, dstOffset + i, fromFloat(src[srcOffset + i]));
        }
    }

    @Override
    public void quantizeActivations(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        checkLength(n, 1);
        MemorySegment.copy(src, srcOffset, dst, FLOAT_LE, dstOffset, n);
    }

    @Override
    public void quantizeActivations(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, int n) {
        checkLength(n, 1);
        MemorySegment.copy(src, srcOffset, dst, dstOffset, 4L * n);
    }

    /**
     * Quantizes a {@code rows × columns} matrix (row after row from {@code src[srcOffset]})
     * with one scale per {@code blockRows × blockColumns} block, as DeepSeek-V3's FP8 weights
     * were made: {@code scale = max|x| / 448} over the block (1 for an all-zero block), bytes
     * {@code fromFloat(x / scale)}. Writes {@code rows * columns} bytes at {@code dstOffset}.
     *
     * @return the scales, {@code ceil(columns / blockColumns)} per block row, block rows in order
     */
    public static float[] quantizeBlocks(float[] src, int srcOffset, int rows, int columns, int blockRows,
            int blockColumns, MemorySegment dst, long dstOffset) {
        int blocksAcross = Math.ceilDiv(columns, blockColumns);
        int blocksDown = Math.ceilDiv(rows, blockRows);
        float[] scales = new float[blocksAcross * blocksDown];
        for (int br = 0; br < blocksDown; br++) {
            for (int bc = 0; bc < blocksAcross; bc++) {
                int r1 = Math.min(rows, (br + 1) * blockRows);
                int c1 = Math.min(columns, (bc + 1) * blockColumns);
                float max = 0f;
                for (int r = br * blockRows; r < r1; r++) {
                    for (int c = bc * blockColumns; c < c1; c++) {
                        max = Math.max(max, Math.abs(src[srcOffset + r * columns + c]));
                    }
                }
                float scale = max > 0f ? max / MAX : 1f;
                scales[br * blocksAcross + bc] = scale;
                for (int r = br * blockRows; r < r1; r++) {
                    for (int c = bc * blockColumns; c < c1; c++) {
                        dst.set(ValueLayout.JAVA_BYTE, dstOffset + (long) r * columns + c,
                                fromFloat(src[srcOffset + r * columns + c] / scale));
                    }
                }
            }
        }
        return scales;
    }

    // ---- block-scaled products ---------------------------------------------------------

    /**
     * The dot product of row {@code row} of a block-scaled weight ({@code n} elements at byte
     * {@code wOffset}) with F32 activations at byte {@code xOffset}: per block of
     * {@code scales.blockColumns()} columns, the unscaled dot, then {@code sum = fma(scale,
     * blockDot, sum)} in column order.
     *
     * @param row the weight row the scales are looked up for, counted through stacked matrices
     */
    public final float dotScaled(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n,
            BlockScales scales, long row) {
        checkScales(scales, n);
        return scaledRow(view(w), wOffset, view(x), xOffset, n, scales, row);
    }

    /**
     * {@link QuantKernel#matmul(MemorySegment, long, int, MemorySegment, long, int, MemorySegment, long, long, int)}
     * for a block-scaled weight: {@code rows} weight rows from byte {@code wOffset}, the first
     * being row {@code firstRow} of the scales.
     */
    public final void matmulScaled(MemorySegment w, long wOffset, long firstRow, int rows, BlockScales scales,
            MemorySegment x, long xOffset, int tokens, MemorySegment out, long outOffset, long outStride, int n) {
        checkScales(scales, n);
        w = view(w);
        x = view(x);
        long xBytes = 4L * n;
        for (int r = 0; r < rows; r++) {
            for (int t = 0; t < tokens; t++) {
                float v = scaledRow(w, wOffset + (long) r * n, x, xOffset + t * xBytes, n, scales, firstRow + r);
                out.set(FLOAT_LE, outOffset + t * outStride + 4L * r, v);
            }
        }
    }

    /** The same into {@code out[outOffset + t * outStride + r]}. */
    public final void matmulScaled(MemorySegment w, long wOffset, long firstRow, int rows, BlockScales scales,
            MemorySegment x, long xOffset, int tokens, float[] out, int outOffset, int outStride, int n) {
        checkScales(scales, n);
        w = view(w);
        x = view(x);
        long xBytes = 4L * n;
        for (int r = 0; r < rows; r++) {
            for (int t = 0; t < tokens; t++) {
                out[outOffset + t * outStride + r] =
                        scaledRow(w, wOffset + (long) r * n, x, xOffset + t * xBytes, n, scales, firstRow + r);
            }
        }
    }

    private float scaledRow(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n, BlockScales scales,
            long row) {
        int block = scales.blockColumns();
        float sum = 0f;
        for (int c = 0; c < n; c += block) {
            int count = Math.min(block, n - c);
            float partial = blockDot(w, wOffset + c, x, xOffset + 4L * c, count);
            sum = Math.fma(scales.scale(row, c), partial, sum);
        }
        return sum;
    }

    /** The unscaled dot of {@code n} bytes with {@code n} floats; no view or checks. */
    abstract float blockDot(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n);

    private void checkScales(BlockScales scales, int n) {
        checkLength(n, 1);
        if (scales == null) {
            throw new IllegalArgumentException("F8_E4M3 row of " + n + " elements: block scales are required");
        }
        if (scales.columns() != n) {
            throw new IllegalArgumentException("F8_E4M3 row of " + n + " elements, but its block scales describe rows of "
                    + scales.columns());
        }
    }

    private static float dotScalar(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += toFloat(w.get(ValueLayout.JAVA_BYTE, wOffset + i)) * x.get(FLOAT_LE, xOffset + 4L * i);
        }
        return (float) sum;
    }

    /** Decodes sign-extended E4M3 bytes in int lanes, as {@link #decodeBits} does. */
    static FloatVector decode(IntVector bytes) {
        IntVector magnitude = bytes.and(0x7F);
        FloatVector f = magnitude.lanewise(VectorOperators.LSHL, 20)
                .or(bytes.and(0x80).lanewise(VectorOperators.LSHL, 24))
                .reinterpretAsFloats().mul(0x1p120f);
        VectorMask<Integer> nan = magnitude.compare(VectorOperators.EQ, 0x7F);
        return nan.anyTrue()
                ? f.reinterpretAsInts().blend(Float.floatToRawIntBits(Float.NaN), nan).reinterpretAsFloats()
                : f;
    }

    private static IntVector widen(ByteVector bytes, int part) {
        return (IntVector) bytes.convertShape(VectorOperators.B2I, Simd.I, part);
    }

    private static float dotVector(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        FloatVector acc = FloatVector.zero(F);
        int upper = n - n % STEP;
        for (int i = 0; i < upper; i += STEP) {
            ByteVector bytes = ByteVector.fromMemorySegment(B2, w, wOffset + i, Simd.LE);
            FloatVector x0 = FloatVector.fromMemorySegment(F, x, xOffset + 4L * i, Simd.LE);
            FloatVector x1 = FloatVector.fromMemorySegment(F, x, xOffset + 4L * (i + LANES), Simd.LE);
            acc = decode(widen(bytes, 0)).fma(x0, acc);
            acc = decode(widen(bytes, 1)).fma(x1, acc);
        }
        float sum = Simd.sum(acc);
        for (int i = upper; i < n; i++) {
            sum += toFloat(w.get(ValueLayout.JAVA_BYTE, wOffset + i)) * x.get(FLOAT_LE, xOffset + 4L * i);
        }
        return sum;
    }

    /** The Vector API kernels (see {@link F32Kernel} for why they live in a class of their own). */
    private static final class Vector extends F8E4M3Kernel {

        Vector() {
            super(true);
        }

        @Override
        public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
            checkLength(n, 1);
            MemorySegment s = view(src);
            int upper = n - n % STEP;
            for (int i = 0; i < upper; i += STEP) {
                ByteVector bytes = ByteVector.fromMemorySegment(B2, s, srcOffset + i, Simd.LE);
                decode(widen(bytes, 0)).intoArray(dst, dstOffset + i);
                decode(widen(bytes, 1)).intoArray(dst, dstOffset + i + LANES);
            }
            for (int i = upper; i < n; i++) {
                dst[dstOffset + i] = toFloat(s.get(ValueLayout.JAVA_BYTE, srcOffset + i));
            }
        }

        @Override
        public float dot(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
            checkLength(n, 1);
            return dotVector(view(w), wOffset, view(x), xOffset, n);
        }

        @Override
        float blockDot(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
            return dotVector(w, wOffset, x, xOffset, n);
        }

        @Override
        void dotTokens(MemorySegment w, long wOffset, MemorySegment x, long xOffset, long xStride, int tokens,
                float[] out, int n) {
            for (int t = 0; t < tokens; t++) {
                out[t] = dotVector(w, wOffset, x, xOffset + t * xStride, n);
            }
        }
    }

    /** The scalar reference kernels: decoded products summed in double per block. */
    private static final class Scalar extends F8E4M3Kernel {

        Scalar() {
            super(false);
        }

        @Override
        public float dot(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
            checkLength(n, 1);
            return dotScalar(view(w), wOffset, view(x), xOffset, n);
        }

        @Override
        float blockDot(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
            return dotScalar(w, wOffset, x, xOffset, n);
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
