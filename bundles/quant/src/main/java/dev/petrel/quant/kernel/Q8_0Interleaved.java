package dev.petrel.quant.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q8_0 weights repacked so that vector lanes are rows: groups of {@link #GROUP} consecutive
 * rows (one per int lane of the preferred vector), and within a group, block by block, the
 * rows' F16 scales decoded to floats ({@code 4 * GROUP} bytes) followed by their quants,
 * element by element ({@code 32 * GROUP} bytes: element {@code j} of every row, then element
 * {@code j + 1}, ...). Rows past the last whole group are not repacked.
 *
 * <p>A matmul then sums each block's products for all the group's rows at once, in float lanes
 * that hold the exact int sum (see {@link ActivationFloats}), and adds the block to each row's
 * float sum with one lane-wise fused multiply-add, {@code sum = fma(isum, d_w * d_x, sum)},
 * blocks in order from zero: the arithmetic of
 * {@link QuantKernel#scalar(dev.petrel.api.weights.TensorType) the scalar reference}, so every
 * result has its bits. No lane reduction is needed, which is where the row-major kernel spends
 * most of its time.
 */
public final class Q8_0Interleaved {

    private static final VectorSpecies<Integer> I = Simd.I;
    private static final VectorSpecies<Float> F = Simd.F;
    /**
     * Rows per group: the int lanes of the preferred vector, or 0 when it is narrower than 256
     * bits (no byte species that small, so no repacking).
     */
    public static final int GROUP = Simd.INTERLEAVED_GROUP;
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class,
            VectorShape.forBitSize(Math.max(64, GROUP * 8)));
    private static final int BLOCK = Q8_0Kernel.BLOCK;
    /** Bytes of one block of a group: the scales as floats, then the quants. */
    private static final int GROUP_BLOCK_BYTES = GROUP * (Float.BYTES + BLOCK);

    private Q8_0Interleaved() {
    }

    /**
     * Rows a one-token pass covers: a caller that splits rows between threads gives each whole
     * passes where it can.
     */
    public static final int ROWS_PER_PASS = InterleavedMatmul.GROUPS_PER_PASS * GROUP;

    /**
     * Tokens a many-token pass serves: a caller that splits a prompt into tiles of tokens makes
     * them multiples of it (a count that is not one ends with a pass that overlaps the one
     * before, so some tokens are computed twice).
     */
    public static final int TOKENS_PER_PASS = InterleavedMatmul.TOKENS;

    /** Whether repacking is available on this CPU ({@link #GROUP} is not 0). */
    public static boolean supported() {
        return GROUP > 0;
    }

    /** Bytes of the repacked copy of {@code rows} rows of {@code n} elements. */
    public static long packedBytes(long rows, int n) {
        check(n);
        return GROUP == 0 ? 0 : rows / GROUP * (n / BLOCK) * (long) GROUP_BLOCK_BYTES;
    }

    /**
     * Repacks the whole groups of {@code rows} Q8_0 rows of {@code n} elements (GGUF layout,
     * from byte {@code srcOffset} of {@code src}) into new memory of {@code arena}.
     *
     * @throws UnsupportedOperationException when {@link #supported()} is false
     */
    public static MemorySegment repack(MemorySegment src, long srcOffset, long rows, int n, Arena arena) {
        check(n);
        if (!supported()) {
            throw new UnsupportedOperationException("Q8_0 repacking needs vectors of at least 256 bits");
        }
        return pack(src, srcOffset, rows, n, arena);
    }

    private static MemorySegment pack(MemorySegment src, long srcOffset, long rows, int n, Arena arena) {
        int blocks = n / BLOCK;
        long rowBytes = (long) blocks * Q8_0Kernel.BLOCK_BYTES;
        long groups = rows / GROUP;
        MemorySegment dst = arena.allocate(Math.max(1, packedBytes(rows, n)), 64);
        byte[] block = new byte[Q8_0Kernel.BLOCK_BYTES];
        byte[] packed = new byte[GROUP_BLOCK_BYTES];
        for (long g = 0; g < groups; g++) {
            for (int b = 0; b < blocks; b++) {
                for (int lane = 0; lane < GROUP; lane++) {
                    long offset = srcOffset + (g * GROUP + lane) * rowBytes + (long) b * Q8_0Kernel.BLOCK_BYTES;
                    MemorySegment.copy(src, ValueLayout.JAVA_BYTE, offset, block, 0, block.length);
                    short half = (short) ((block[0] & 0xFF) | (block[1] << 8));
                    int d = Float.floatToRawIntBits(Float.float16ToFloat(half));
                    for (int i = 0; i < 4; i++) {
                        packed[4 * lane + i] = (byte) (d >>> (8 * i)); // little-endian float
                    }
                    for (int j = 0; j < BLOCK; j++) {
                        packed[4 * GROUP + j * GROUP + lane] = block[2 + j];
                    }
                }
                MemorySegment.copy(packed, 0, dst, ValueLayout.JAVA_BYTE,
                        (g * blocks + b) * (long) GROUP_BLOCK_BYTES, packed.length);
            }
        }
        return dst;
    }

    /**
     * {@link QuantKernel#matmul(MemorySegment, long, int, MemorySegment, long, int, MemorySegment, long, long, int)}
     * for rows {@code firstRow ..< firstRow + rows} of a Q8_0 weight: {@code w} holds it in GGUF
     * layout from byte 0, {@code packed} is {@link #repack} of it (all its rows). The rows of
     * whole groups inside the range are read from {@code packed}, the others from {@code w}.
     * Same results, bit for bit.
     */
    public static void matmul(MemorySegment w, MemorySegment packed, long firstRow, int rows, MemorySegment x,
            long xOffset, int tokens, MemorySegment out, long outOffset, long outStride, int n) {
        check(n);
        InterleavedMatmul.run(false, w, packed, firstRow, rows, x, xOffset, tokens, out, outOffset, outStride, n);
    }

    /**
     * {@link #matmul(MemorySegment, MemorySegment, long, int, MemorySegment, long, int, MemorySegment, long, long, int)}
     * into a float array, as
     * {@link QuantKernel#matmul(MemorySegment, long, int, MemorySegment, long, int, float[], int, int, int)}.
     */
    public static void matmul(MemorySegment w, MemorySegment packed, long firstRow, int rows, MemorySegment x,
            long xOffset, int tokens, float[] out, int outOffset, int outStride, int n) {
        matmul(w, packed, firstRow, rows, x, xOffset, tokens, MemorySegment.ofArray(out), 4L * outOffset,
                4L * outStride, n);
    }

    /** Row {@code j} of a block of a group (element {@code j} of each row) as floats. */
    private static FloatVector quants(MemorySegment p, long blockOffset, int j) {
        return (FloatVector) ByteVector.fromMemorySegment(B, p, blockOffset + 4L * GROUP + (long) j * GROUP, Simd.LE)
                .convertShape(VectorOperators.B2F, F, 0);
    }

    /**
     * Four groups from {@code pOffset} ({@code groupBytes} apart) against the one token in
     * {@code a}, into {@code out} from byte {@code o}: each activation broadcast serves the four
     * groups, and two chains of sums per group (even and odd elements) hide the multiply-add
     * latency.
     */
    static void token1Groups4(MemorySegment p, long pOffset, long groupBytes, ActivationFloats a, int blocks,
            float[] results, MemorySegment out, long o) {
        float[] x = a.values;
        float[] dx = a.scales;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < blocks; b++) {
            long p0 = pOffset + (long) b * GROUP_BLOCK_BYTES;
            long p1 = p0 + groupBytes, p2 = p1 + groupBytes, p3 = p2 + groupBytes;
            int xb = b * BLOCK;
            FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0, e0 = s0, e1 = s0, e2 = s0, e3 = s0;
            for (int j = 0; j < BLOCK; j += 2) {
                FloatVector x0 = FloatVector.broadcast(F, x[xb + j]);
                FloatVector x1 = FloatVector.broadcast(F, x[xb + j + 1]);
                s0 = quants(p, p0, j).fma(x0, s0);
                s1 = quants(p, p1, j).fma(x0, s1);
                s2 = quants(p, p2, j).fma(x0, s2);
                s3 = quants(p, p3, j).fma(x0, s3);
                e0 = quants(p, p0, j + 1).fma(x1, e0);
                e1 = quants(p, p1, j + 1).fma(x1, e1);
                e2 = quants(p, p2, j + 1).fma(x1, e2);
                e3 = quants(p, p3, j + 1).fma(x1, e3);
            }
            float d = dx[b];
            a0 = s0.add(e0).fma(FloatVector.fromMemorySegment(F, p, p0, Simd.LE).mul(d), a0);
            a1 = s1.add(e1).fma(FloatVector.fromMemorySegment(F, p, p1, Simd.LE).mul(d), a1);
            a2 = s2.add(e2).fma(FloatVector.fromMemorySegment(F, p, p2, Simd.LE).mul(d), a2);
            a3 = s3.add(e3).fma(FloatVector.fromMemorySegment(F, p, p3, Simd.LE).mul(d), a3);
        }
        InterleavedMatmul.store(a0, results, out, o);
        InterleavedMatmul.store(a1, results, out, o + 4L * GROUP);
        InterleavedMatmul.store(a2, results, out, o + 8L * GROUP);
        InterleavedMatmul.store(a3, results, out, o + 12L * GROUP);
    }

    /** One group from {@code pOffset} against one token, as {@link #token1Groups4}. */
    static void token1Group(MemorySegment p, long pOffset, ActivationFloats a, int blocks, float[] results,
            MemorySegment out, long o) {
        float[] x = a.values;
        float[] dx = a.scales;
        FloatVector a0 = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            long p0 = pOffset + (long) b * GROUP_BLOCK_BYTES;
            int xb = b * BLOCK;
            FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
            for (int j = 0; j < BLOCK; j += 4) {
                s0 = quants(p, p0, j).fma(FloatVector.broadcast(F, x[xb + j]), s0);
                s1 = quants(p, p0, j + 1).fma(FloatVector.broadcast(F, x[xb + j + 1]), s1);
                s2 = quants(p, p0, j + 2).fma(FloatVector.broadcast(F, x[xb + j + 2]), s2);
                s3 = quants(p, p0, j + 3).fma(FloatVector.broadcast(F, x[xb + j + 3]), s3);
            }
            a0 = s0.add(s1).add(s2.add(s3)).fma(FloatVector.fromMemorySegment(F, p, p0, Simd.LE).mul(dx[b]), a0);
        }
        InterleavedMatmul.store(a0, results, out, o);
    }


    /**
     * Two groups from {@code pOffset} ({@code groupBytes} apart) against the six tokens in
     * {@code a}, into {@code out} ({@code outStride} bytes between tokens): each weight vector
     * (one load and one conversion) serves six tokens, each activation broadcast two groups.
     * Six tokens by two groups (the 24 sums and totals stay in registers) was as fast as four by
     * four in a microbenchmark, and is the shape Q4_0 can take too; eight tokens by two groups
     * outgrow what the JIT inlines, and the vectors get boxed.
     */
    static void tokens6Groups2(MemorySegment p, long pOffset, long groupBytes, ActivationFloats a, int n,
            int blocks, float[] results, MemorySegment out, long o, long outStride) {
        float[] x = a.values;
        float[] dx = a.scales;
        FloatVector z = FloatVector.zero(F);
        FloatVector a00 = z, a01 = z, a02 = z, a03 = z, a04 = z, a05 = z;
        FloatVector a10 = z, a11 = z, a12 = z, a13 = z, a14 = z, a15 = z;
        for (int b = 0; b < blocks; b++) {
            long p0 = pOffset + (long) b * GROUP_BLOCK_BYTES;
            long p1 = p0 + groupBytes;
            int xb = b * BLOCK;
            FloatVector s00 = z, s01 = z, s02 = z, s03 = z, s04 = z, s05 = z;
            FloatVector s10 = z, s11 = z, s12 = z, s13 = z, s14 = z, s15 = z;
            for (int j = 0; j < BLOCK; j++) {
                FloatVector w0 = quants(p, p0, j);
                FloatVector w1 = quants(p, p1, j);
                int i = xb + j;
                FloatVector x0 = FloatVector.broadcast(F, x[i]);
                s00 = w0.fma(x0, s00);
                s10 = w1.fma(x0, s10);
                FloatVector x1 = FloatVector.broadcast(F, x[n + i]);
                s01 = w0.fma(x1, s01);
                s11 = w1.fma(x1, s11);
                FloatVector x2 = FloatVector.broadcast(F, x[2 * n + i]);
                s02 = w0.fma(x2, s02);
                s12 = w1.fma(x2, s12);
                FloatVector x3 = FloatVector.broadcast(F, x[3 * n + i]);
                s03 = w0.fma(x3, s03);
                s13 = w1.fma(x3, s13);
                FloatVector x4 = FloatVector.broadcast(F, x[4 * n + i]);
                s04 = w0.fma(x4, s04);
                s14 = w1.fma(x4, s14);
                FloatVector x5 = FloatVector.broadcast(F, x[5 * n + i]);
                s05 = w0.fma(x5, s05);
                s15 = w1.fma(x5, s15);
            }
            FloatVector d0 = FloatVector.fromMemorySegment(F, p, p0, Simd.LE);
            FloatVector d1 = FloatVector.fromMemorySegment(F, p, p1, Simd.LE);
            float dx0 = dx[b];
            float dx1 = dx[blocks + b];
            float dx2 = dx[2 * blocks + b];
            float dx3 = dx[3 * blocks + b];
            float dx4 = dx[4 * blocks + b];
            float dx5 = dx[5 * blocks + b];
            a00 = s00.fma(d0.mul(dx0), a00);
            a01 = s01.fma(d0.mul(dx1), a01);
            a02 = s02.fma(d0.mul(dx2), a02);
            a03 = s03.fma(d0.mul(dx3), a03);
            a04 = s04.fma(d0.mul(dx4), a04);
            a05 = s05.fma(d0.mul(dx5), a05);
            a10 = s10.fma(d1.mul(dx0), a10);
            a11 = s11.fma(d1.mul(dx1), a11);
            a12 = s12.fma(d1.mul(dx2), a12);
            a13 = s13.fma(d1.mul(dx3), a13);
            a14 = s14.fma(d1.mul(dx4), a14);
            a15 = s15.fma(d1.mul(dx5), a15);
        }
        InterleavedMatmul.store(a00, results, out, o);
        InterleavedMatmul.store(a01, results, out, o + outStride);
        InterleavedMatmul.store(a02, results, out, o + 2 * outStride);
        InterleavedMatmul.store(a03, results, out, o + 3 * outStride);
        InterleavedMatmul.store(a04, results, out, o + 4 * outStride);
        InterleavedMatmul.store(a05, results, out, o + 5 * outStride);
        long o1 = o + 4L * GROUP;
        InterleavedMatmul.store(a10, results, out, o1);
        InterleavedMatmul.store(a11, results, out, o1 + outStride);
        InterleavedMatmul.store(a12, results, out, o1 + 2 * outStride);
        InterleavedMatmul.store(a13, results, out, o1 + 3 * outStride);
        InterleavedMatmul.store(a14, results, out, o1 + 4 * outStride);
        InterleavedMatmul.store(a15, results, out, o1 + 5 * outStride);
    }

    /** One group from {@code pOffset} against six tokens, as {@link #tokens6Groups2}. */
    static void tokens6Group(MemorySegment p, long pOffset, ActivationFloats a, int n, int blocks,
            float[] results, MemorySegment out, long o, long outStride) {
        float[] x = a.values;
        float[] dx = a.scales;
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = z, a1 = z, a2 = z, a3 = z, a4 = z, a5 = z;
        for (int b = 0; b < blocks; b++) {
            long p0 = pOffset + (long) b * GROUP_BLOCK_BYTES;
            int xb = b * BLOCK;
            FloatVector s0 = z, s1 = z, s2 = z, s3 = z, s4 = z, s5 = z;
            for (int j = 0; j < BLOCK; j++) {
                FloatVector w0 = quants(p, p0, j);
                int i = xb + j;
                s0 = w0.fma(FloatVector.broadcast(F, x[i]), s0);
                s1 = w0.fma(FloatVector.broadcast(F, x[n + i]), s1);
                s2 = w0.fma(FloatVector.broadcast(F, x[2 * n + i]), s2);
                s3 = w0.fma(FloatVector.broadcast(F, x[3 * n + i]), s3);
                s4 = w0.fma(FloatVector.broadcast(F, x[4 * n + i]), s4);
                s5 = w0.fma(FloatVector.broadcast(F, x[5 * n + i]), s5);
            }
            FloatVector d0 = FloatVector.fromMemorySegment(F, p, p0, Simd.LE);
            a0 = s0.fma(d0.mul(dx[b]), a0);
            a1 = s1.fma(d0.mul(dx[blocks + b]), a1);
            a2 = s2.fma(d0.mul(dx[2 * blocks + b]), a2);
            a3 = s3.fma(d0.mul(dx[3 * blocks + b]), a3);
            a4 = s4.fma(d0.mul(dx[4 * blocks + b]), a4);
            a5 = s5.fma(d0.mul(dx[5 * blocks + b]), a5);
        }
        InterleavedMatmul.store(a0, results, out, o);
        InterleavedMatmul.store(a1, results, out, o + outStride);
        InterleavedMatmul.store(a2, results, out, o + 2 * outStride);
        InterleavedMatmul.store(a3, results, out, o + 3 * outStride);
        InterleavedMatmul.store(a4, results, out, o + 4 * outStride);
        InterleavedMatmul.store(a5, results, out, o + 5 * outStride);
    }

    private static void check(int n) {
        if (n < 0 || n % BLOCK != 0) {
            throw new IllegalArgumentException("Q8_0 row of " + n + " elements: must be a non-negative multiple of "
                    + BLOCK);
        }
    }
}
