package dev.petrel.quant.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q4_0 weights repacked so that vector lanes are rows: groups of {@link #GROUP} consecutive
 * rows (one per int lane of the preferred vector), and within a group, block by block, the
 * rows' F16 scales decoded to floats ({@code 4 * GROUP} bytes) followed by their nibble
 * bytes, byte by byte ({@code 16 * GROUP} bytes: byte {@code j} of every row, holding
 * elements {@code j} (low nibble) and {@code j + 16} (high nibble), then byte {@code j + 1},
 * ...). Rows past the last whole group are not repacked.
 *
 * <p>A matmul then sums each block's products for all the group's rows at once, in int lanes
 * (exact), and adds the block to each row's float sum with one lane-wise fused multiply-add,
 * {@code sum = fma(isum, d_w * d_x, sum)}, blocks in order from zero: the arithmetic of
 * {@link QuantKernel#scalar(dev.petrel.api.weights.TensorType) the scalar reference}, so every
 * result has its bits. No lane reduction is needed, which is where the row-major kernel spends
 * most of its time.
 */
public final class Q4_0Interleaved {

    private static final VectorSpecies<Integer> I = Simd.I;
    private static final VectorSpecies<Float> F = Simd.F;
    /**
     * Rows per group: the int lanes of the preferred vector, or 0 when it is narrower than 256
     * bits (no byte species that small, so no repacking).
     */
    public static final int GROUP = I.vectorBitSize() >= 256 ? I.length() : 0;
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class,
            VectorShape.forBitSize(Math.max(64, GROUP * 8)));
    private static final int BLOCK = Q4_0Kernel.BLOCK;
    /** Bytes of one block of a group: the scales as floats, then the nibble bytes. */
    private static final int GROUP_BLOCK_BYTES = GROUP * (Float.BYTES + BLOCK / 2);
    /** Tokens each pass over a group's blocks serves at most. */
    private static final int TOKENS = 4;
    /** Repacked bytes a kernel call covers: they stay in cache while the token steps pass over them. */
    private static final long BATCH_BYTES = 256 * 1024;

    private Q4_0Interleaved() {
    }

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
     * Repacks the whole groups of {@code rows} Q4_0 rows of {@code n} elements (GGUF layout,
     * from byte {@code srcOffset} of {@code src}) into new memory of {@code arena}.
     *
     * @throws UnsupportedOperationException when {@link #supported()} is false
     */
    public static MemorySegment repack(MemorySegment src, long srcOffset, long rows, int n, Arena arena) {
        check(n);
        if (!supported()) {
            throw new UnsupportedOperationException("Q4_0 repacking needs vectors of at least 256 bits");
        }
        return pack(src, srcOffset, rows, n, arena);
    }

    private static MemorySegment pack(MemorySegment src, long srcOffset, long rows, int n, Arena arena) {
        int blocks = n / BLOCK;
        long rowBytes = (long) blocks * Q4_0Kernel.BLOCK_BYTES;
        long groups = rows / GROUP;
        MemorySegment dst = arena.allocate(Math.max(1, packedBytes(rows, n)), 64);
        byte[] block = new byte[Q4_0Kernel.BLOCK_BYTES];
        byte[] packed = new byte[GROUP_BLOCK_BYTES];
        for (long g = 0; g < groups; g++) {
            for (int b = 0; b < blocks; b++) {
                for (int lane = 0; lane < GROUP; lane++) {
                    long offset = srcOffset + (g * GROUP + lane) * rowBytes + (long) b * Q4_0Kernel.BLOCK_BYTES;
                    MemorySegment.copy(src, ValueLayout.JAVA_BYTE, offset, block, 0, block.length);
                    short half = (short) ((block[0] & 0xFF) | (block[1] << 8));
                    int d = Float.floatToRawIntBits(Float.float16ToFloat(half));
                    for (int i = 0; i < 4; i++) {
                        packed[4 * lane + i] = (byte) (d >>> (8 * i)); // little-endian float
                    }
                    for (int j = 0; j < BLOCK / 2; j++) {
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
     * for rows {@code firstRow ..< firstRow + rows} of a Q4_0 weight: {@code w} holds it in GGUF
     * layout from byte 0, {@code packed} is {@link #repack} of it (all its rows). The rows of
     * whole groups inside the range are read from {@code packed}, the others from {@code w}.
     * Same results, bit for bit.
     */
    public static void matmul(MemorySegment w, MemorySegment packed, long firstRow, int rows, MemorySegment x,
            long xOffset, int tokens, MemorySegment out, long outOffset, long outStride, int n) {
        check(n);
        QuantKernel plain = Q4_0Kernel.VECTOR;
        long rowBytes = plain.rowBytes(n);
        long packedRows = packed.byteSize() / Math.max(1, packedBytes(GROUP, n)) * GROUP;
        long end = firstRow + rows;
        long g0 = GROUP == 0 ? end : Math.min(end, Math.ceilDiv(firstRow, GROUP) * GROUP);
        long g1 = GROUP == 0 ? end : Math.max(g0, Math.min(end, packedRows) / GROUP * GROUP);
        if (g0 > firstRow) {
            plain.matmul(w, firstRow * rowBytes, (int) (g0 - firstRow), x, xOffset, tokens, out, outOffset, outStride,
                    n);
        }
        if (g1 > g0) {
            MemorySegment p = QuantKernel.view(packed);
            MemorySegment xs = QuantKernel.view(x);
            float[] results = new float[TOKENS * GROUP];
            long xBytes = plain.activationBytes(n);
            long groupBytes = packedBytes(GROUP, n);
            int blocks = n / BLOCK;
            int[] biases = biases(xs, xOffset, xBytes, tokens, blocks);
            int batch = (int) Math.max(1, BATCH_BYTES / Math.max(1, groupBytes));
            for (long r = g0; r < g1; r += (long) batch * GROUP) {
                int groups = (int) Math.min(batch, (g1 - r) / GROUP);
                long pOffset = r / GROUP * groupBytes;
                long o = outOffset + 4L * (r - firstRow);
                int t = 0;
                for (; t + TOKENS <= tokens; t += TOKENS) {
                    group4(p, pOffset, groups, groupBytes, xs, xOffset + t * xBytes, xBytes, biases, t * blocks,
                            blocks, results, out, o + t * outStride, outStride);
                }
                for (; t < tokens; t++) {
                    group1(p, pOffset, groups, groupBytes, xs, xOffset + t * xBytes, biases, t * blocks, blocks,
                            results, out, o + t * outStride);
                }
            }
        }
        if (end > g1) {
            plain.matmul(w, g1 * rowBytes, (int) (end - g1), x, xOffset, tokens, out, outOffset + 4L * (g1 - firstRow),
                    outStride, n);
        }
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

    /** {@code 8 * sum x} of each block of each token: what the nibbles' bias of 8 takes off its int sum. */
    private static int[] biases(MemorySegment x, long xOffset, long xBytes, int tokens, int blocks) {
        int[] biases = new int[tokens * blocks];
        for (int t = 0; t < tokens; t++) {
            for (int b = 0; b < blocks; b++) {
                long xb = xOffset + t * xBytes + (long) b * Q8_0Kernel.BLOCK_BYTES + 2;
                int sum = 0;
                for (int j = 0; j < BLOCK; j++) {
                    sum += x.get(ValueLayout.JAVA_BYTE, xb + j);
                }
                biases[t * blocks + b] = 8 * sum;
            }
        }
        return biases;
    }

    private static void store(float[] results, int tokens, MemorySegment out, long offset, long stride) {
        for (int t = 0; t < tokens; t++) {
            for (int l = 0; l < GROUP; l++) {
                out.set(Simd.FLOAT_LE, offset + t * stride + 4L * l, results[t * GROUP + l]);
            }
        }
    }

    /**
     * Each of {@code groups} consecutive groups' rows against one token, into {@code out} from
     * byte {@code o}. The nibbles are multiplied unbiased and the bias taken off at the end of
     * each block, exactly: {@code sum (q - 8) x = sum q x - 8 sum x}, with {@code 8 sum x} from
     * {@code biases}.
     */
    private static void group1(MemorySegment p, long pOffset, int groups, long groupBytes, MemorySegment x, long x0,
            int[] biases, int bias0, int blocks, float[] results, MemorySegment out, long o) {
        for (int g = 0; g < groups; g++) {
            FloatVector a0 = FloatVector.zero(F);
            for (int b = 0; b < blocks; b++) {
                long pb = pOffset + g * groupBytes + (long) b * GROUP_BLOCK_BYTES;
                long xb = x0 + (long) b * Q8_0Kernel.BLOCK_BYTES + 2;
                IntVector s0 = IntVector.zero(I);
                for (int j = 0; j < BLOCK / 2; j++) {
                    IntVector q = (IntVector) ByteVector.fromMemorySegment(B, p, pb + 4L * GROUP + (long) j * GROUP,
                            Simd.LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    IntVector lo = q.and(0x0F);
                    IntVector hi = q.lanewise(VectorOperators.LSHR, 4);
                    s0 = s0.add(lo.mul(x.get(ValueLayout.JAVA_BYTE, xb + j)))
                            .add(hi.mul(x.get(ValueLayout.JAVA_BYTE, xb + BLOCK / 2 + j)));
                }
                s0 = s0.sub(biases[bias0 + b]);
                FloatVector d = FloatVector.fromMemorySegment(F, p, pb, Simd.LE);
                a0 = ((FloatVector) s0.convert(VectorOperators.I2F, 0)).fma(d.mul(Simd.f16(x, xb - 2)), a0);
            }
            a0.intoArray(results, 0);
            store(results, 1, out, o + 4L * GROUP * g, 0);
        }
    }

    /** Each of {@code groups} groups against four tokens {@code xStride} apart, into {@code out}. */
    private static void group4(MemorySegment p, long pOffset, int groups, long groupBytes, MemorySegment x, long x0,
            long xStride, int[] biases, int bias0, int blocks, float[] results, MemorySegment out, long o,
            long outStride) {
        for (int g = 0; g < groups; g++) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            for (int b = 0; b < blocks; b++) {
                long pb = pOffset + g * groupBytes + (long) b * GROUP_BLOCK_BYTES;
                long xb0 = x0 + (long) b * Q8_0Kernel.BLOCK_BYTES + 2;
                long xb1 = xb0 + xStride, xb2 = xb1 + xStride, xb3 = xb2 + xStride;
                IntVector s0 = IntVector.zero(I), s1 = s0, s2 = s0, s3 = s0;
                for (int j = 0; j < BLOCK / 2; j++) {
                    IntVector q = (IntVector) ByteVector.fromMemorySegment(B, p, pb + 4L * GROUP + (long) j * GROUP,
                            Simd.LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    IntVector lo = q.and(0x0F);
                    IntVector hi = q.lanewise(VectorOperators.LSHR, 4);
                    int h = BLOCK / 2 + j;
                    s0 = s0.add(lo.mul(x.get(ValueLayout.JAVA_BYTE, xb0 + j)))
                            .add(hi.mul(x.get(ValueLayout.JAVA_BYTE, xb0 + h)));
                    s1 = s1.add(lo.mul(x.get(ValueLayout.JAVA_BYTE, xb1 + j)))
                            .add(hi.mul(x.get(ValueLayout.JAVA_BYTE, xb1 + h)));
                    s2 = s2.add(lo.mul(x.get(ValueLayout.JAVA_BYTE, xb2 + j)))
                            .add(hi.mul(x.get(ValueLayout.JAVA_BYTE, xb2 + h)));
                    s3 = s3.add(lo.mul(x.get(ValueLayout.JAVA_BYTE, xb3 + j)))
                            .add(hi.mul(x.get(ValueLayout.JAVA_BYTE, xb3 + h)));
                }
                s0 = s0.sub(biases[bias0 + b]);
                s1 = s1.sub(biases[bias0 + blocks + b]);
                s2 = s2.sub(biases[bias0 + 2 * blocks + b]);
                s3 = s3.sub(biases[bias0 + 3 * blocks + b]);
                FloatVector d = FloatVector.fromMemorySegment(F, p, pb, Simd.LE);
                a0 = ((FloatVector) s0.convert(VectorOperators.I2F, 0)).fma(d.mul(Simd.f16(x, xb0 - 2)), a0);
                a1 = ((FloatVector) s1.convert(VectorOperators.I2F, 0)).fma(d.mul(Simd.f16(x, xb1 - 2)), a1);
                a2 = ((FloatVector) s2.convert(VectorOperators.I2F, 0)).fma(d.mul(Simd.f16(x, xb2 - 2)), a2);
                a3 = ((FloatVector) s3.convert(VectorOperators.I2F, 0)).fma(d.mul(Simd.f16(x, xb3 - 2)), a3);
            }
            a0.intoArray(results, 0);
            a1.intoArray(results, GROUP);
            a2.intoArray(results, 2 * GROUP);
            a3.intoArray(results, 3 * GROUP);
            store(results, TOKENS, out, o + 4L * GROUP * g, outStride);
        }
    }

    private static void check(int n) {
        if (n < 0 || n % BLOCK != 0) {
            throw new IllegalArgumentException("Q4_0 row of " + n + " elements: must be a non-negative multiple of "
                    + BLOCK);
        }
    }
}
