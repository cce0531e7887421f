package dev.petrel.quant.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q4_0 weights repacked so that vector lanes are rows: groups of {@link #GROUP} consecutive
 * rows (one per int lane of the preferred vector). A group holds first the nibble bytes of all
 * its blocks, block by block ({@code 16 * GROUP} bytes a block: byte {@code j} of every row,
 * holding elements {@code j} (low nibble) and {@code j + 16} (high nibble), then byte
 * {@code j + 1}, ...), then the F16 scales of all its blocks ({@code 2 * GROUP} bytes a block,
 * as stored in GGUF, so the copy is no larger than the file's bytes: decoding weights is bound
 * by memory, and floats here made every block a tenth larger). Rows past the last whole group
 * are not repacked.
 *
 * <p>The nibbles come first, without the scales between blocks, so that the one-token pass
 * reads them at offsets that grow by the same step from a row's first block to its last. With
 * the scales between blocks the compiled code set up the bounds checks of the four streams
 * again at every block (some 25 scalar instructions a stream). One thread on weights in cache:
 * 13.6-14.0 GB/s for the old integer pass, 15.1-16.1 for this one; decoding from memory, where
 * the pass waits on memory, 1-6% faster.
 *
 * <p>A matmul then sums each block's products for all the group's rows at once, in float lanes
 * that hold the exact int sum (see {@link ActivationFloats}), and adds the block to each row's float sum with one lane-wise fused multiply-add,
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
    public static final int GROUP = Simd.INTERLEAVED_GROUP;
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class,
            VectorShape.forBitSize(Math.max(64, GROUP * 8)));
    private static final int BLOCK = Q4_0Kernel.BLOCK;
    /** Two nibble bytes of every row of a group, widened into {@link NibbleActivations#S}. */
    private static final VectorSpecies<Byte> B2 = VectorSpecies.of(byte.class,
            VectorShape.forBitSize(Math.max(64, GROUP * 16)));
    private static final VectorSpecies<Short> S = NibbleActivations.S;
    /** Swaps the two halves of a 16-bit sum vector (byte j's sums and byte j + 1's). */
    private static final VectorShuffle<Short> SWAP_HALVES = VectorShuffle.fromOp(S,
            i -> (i + Math.max(1, GROUP)) % S.length());
    /** Bytes of a row's scale in the layout: its F16 bits, as in the GGUF block. */
    private static final int SCALE_BYTES = Short.BYTES;
    /** Nibble bytes of one block of a group. */
    private static final int NIBBLE_BYTES = GROUP * BLOCK / 2;
    /** Scale bytes of one block of a group. */
    private static final int SCALES_BYTES = GROUP * SCALE_BYTES;
    /** Bytes of one block of a group, its nibbles and its scales. */
    private static final int GROUP_BLOCK_BYTES = NIBBLE_BYTES + SCALES_BYTES;
    /** Short lanes of {@link NibbleActivations#pairs} a step (one byte pair) reads: low and high partners. */
    private static final int PAIR_SHORTS_PER_STEP = 4 * GROUP;
    /** Steps of the one-token pass per block: a byte pair each. */
    private static final int STEPS_PER_BLOCK = BLOCK / 4;
    /** The F16 scales of a group's rows. */
    private static final VectorSpecies<Short> SCALES = VectorSpecies.of(short.class,
            VectorShape.forBitSize(Math.max(64, GROUP * 16)));

    private Q4_0Interleaved() {
    }

    /**
     * Rows a caller that splits rows between threads gives each in whole multiples where it
     * can: four groups, a multiple of every pass (four groups for one token, two for six tokens).
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
     * Repacks the whole groups of {@code rows} Q4_0 rows of {@code n} elements (GGUF layout,
     * from byte {@code srcOffset} of {@code src}) into new memory of {@code arena}; null, and
     * nothing allocated, when a block's scale is infinite or NaN: the one-token pass widens
     * scales without those cases (see {@link #token1Groups4}), so such a weight, which only a
     * broken file holds, stays with the plain kernel, whose results it then has.
     *
     * @throws UnsupportedOperationException when {@link #supported()} is false
     */
    public static MemorySegment repack(MemorySegment src, long srcOffset, long rows, int n, Arena arena) {
        check(n);
        if (!supported()) {
            throw new UnsupportedOperationException("Q4_0 repacking needs vectors of at least 256 bits");
        }
        return finiteScales(src, srcOffset, rows / GROUP * GROUP, n) ? pack(src, srcOffset, rows, n, arena) : null;
    }

    /** Whether every block scale of the {@code rows} rows is finite (an F16 exponent below 31). */
    private static boolean finiteScales(MemorySegment src, long srcOffset, long rows, int n) {
        long blocks = rows * (n / BLOCK);
        for (long b = 0; b < blocks; b++) {
            short half = src.get(Simd.SHORT_LE, srcOffset + b * Q4_0Kernel.BLOCK_BYTES);
            if ((half & 0x7C00) == 0x7C00) {
                return false;
            }
        }
        return true;
    }

    private static MemorySegment pack(MemorySegment src, long srcOffset, long rows, int n, Arena arena) {
        int blocks = n / BLOCK;
        long rowBytes = (long) blocks * Q4_0Kernel.BLOCK_BYTES;
        long groups = rows / GROUP;
        MemorySegment dst = arena.allocate(Math.max(1, packedBytes(rows, n)), 64);
        byte[] block = new byte[Q4_0Kernel.BLOCK_BYTES];
        byte[] packed = new byte[GROUP_BLOCK_BYTES];
        long groupBytes = (long) blocks * GROUP_BLOCK_BYTES;
        for (long g = 0; g < groups; g++) {
            for (int b = 0; b < blocks; b++) {
                for (int lane = 0; lane < GROUP; lane++) {
                    long offset = srcOffset + (g * GROUP + lane) * rowBytes + (long) b * Q4_0Kernel.BLOCK_BYTES;
                    MemorySegment.copy(src, ValueLayout.JAVA_BYTE, offset, block, 0, block.length);
                    packed[NIBBLE_BYTES + 2 * lane] = block[0]; // the F16 scale, little-endian
                    packed[NIBBLE_BYTES + 2 * lane + 1] = block[1];
                    for (int j = 0; j < BLOCK / 2; j++) {
                        packed[j * GROUP + lane] = block[2 + j];
                    }
                }
                long at = g * groupBytes;
                MemorySegment.copy(packed, 0, dst, ValueLayout.JAVA_BYTE, at + (long) b * NIBBLE_BYTES, NIBBLE_BYTES);
                MemorySegment.copy(packed, NIBBLE_BYTES, dst, ValueLayout.JAVA_BYTE,
                        scalesAt(at, blocks) + (long) b * SCALES_BYTES, SCALES_BYTES);
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
        InterleavedMatmul.run(true, w, packed, firstRow, rows, x, xOffset, tokens, out, outOffset, outStride, n);
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

    /** Where the scales of the group from {@code groupOffset}, of {@code blocks} blocks, begin. */
    private static long scalesAt(long groupOffset, int blocks) {
        return groupOffset + (long) blocks * NIBBLE_BYTES;
    }

    /** Byte {@code j} of a block of a group (one per row; the block's nibbles from {@code blockOffset}), widened to ints. */
    private static IntVector nibbles(MemorySegment p, long blockOffset, int j) {
        long at = blockOffset + (long) j * GROUP;
        return (IntVector) ByteVector.fromMemorySegment(B, p, at, Simd.LE)
                .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
    }

    /** The scales of a block of a group (from {@code at}), as floats (exact: every F16 value is a float). */
    private static FloatVector scales(MemorySegment p, long at) {
        return Simd.halfToFloat(ShortVector.fromMemorySegment(SCALES, p, at, Simd.LE));
    }

    /** The calling thread's array for {@link #widenScales} (plain arrays: see {@link ActivationFloats}). */
    private static final ThreadLocal<float[][]> WIDENED_SCALES = ThreadLocal.withInitial(() -> new float[1][0]);

    /**
     * The scales of {@code groups} groups from {@code pOffset}, widened to floats in the calling
     * thread's array: group {@code g}'s block {@code b} from {@code (g * blocks + b) * GROUP}. A
     * prompt's passes over a batch of groups read them from there, widened once for all the
     * batch's tokens: in the six-token kernels the widening itself outgrows what the JIT inlines.
     */
    static float[] widenScales(MemorySegment p, long pOffset, int groups, int blocks) {
        float[][] holder = WIDENED_SCALES.get();
        int length = groups * blocks * GROUP;
        if (holder[0].length < length) {
            holder[0] = new float[length];
        }
        float[] widened = holder[0];
        for (int g = 0; g < groups; g++) {
            long at = scalesAt(pOffset + (long) g * blocks * GROUP_BLOCK_BYTES, blocks);
            for (int b = 0; b < blocks; b++) {
                scales(p, at + (long) b * SCALES_BYTES).intoArray(widened, (g * blocks + b) * GROUP);
            }
        }
        return widened;
    }

    private static FloatVector whole(IntVector q) {
        return (FloatVector) q.convert(VectorOperators.I2F, 0);
    }

    private static FloatVector low(IntVector q) {
        return (FloatVector) q.and(0x0F).convert(VectorOperators.I2F, 0);
    }

    /** Two nibble bytes of every row of a group, from {@code at} (a byte pair per row), widened to shorts. */
    private static ShortVector bytePairs(MemorySegment p, long at) {
        return (ShortVector) ByteVector.fromMemorySegment(B2, p, at, Simd.LE)
                .convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
    }

    /**
     * {@code sums + lo * xl + hi * xh} for the nibbles of the byte pairs {@code q}, modulo 2^16,
     * given the high partners as {@link NibbleActivations} stores them, {@code xh' = xh - 16 xl}:
     * {@code q xl + hi xh' = (lo + 16 hi) xl + hi (xh - 16 xl) = lo xl + hi xh}. The whole byte
     * needs no mask, one operation fewer a step (integer pass 3-7% faster on weights in cache,
     * about 3% from memory); the sum modulo 2^16 is the same.
     */
    private static ShortVector step(ShortVector q, ShortVector xl, ShortVector xh, ShortVector sums) {
        // q holds zero-extended bytes: an arithmetic shift is the logical one, and the simpler op
        return sums.add(q.mul(xl)).add(q.lanewise(VectorOperators.ASHR, 4).mul(xh));
    }

    /** A group's block sums: the two halves of its 16-bit sums added, read as signed, as floats. */
    private static FloatVector blockSums(ShortVector sums) {
        return (FloatVector) sums.add(sums.rearrange(SWAP_HALVES)).convertShape(VectorOperators.S2F, F, 0);
    }

    /**
     * One token against four groups from {@code pOffset} ({@code groupBytes} apart), their
     * results into {@code results} from 0 (group {@code g}'s from {@code g * GROUP}).
     *
     * <p>Each block is summed in 16-bit lanes (see {@link NibbleActivations}): each step
     * multiplies two nibble bytes of every row of a group, one 16-bit multiply for the whole
     * bytes and one for their high nibbles (see {@link #step}), and each activation vector serves
     * the four groups. At the block's end each group's halves are added and widened to floats
     * and added to the row's float sum, {@code sum = fma(isum, d_w * d_x, sum)}, as the scalar
     * reference does: every result has its bits.
     *
     * <p>A loop over the blocks around a loop of the block's {@link #STEPS_PER_BLOCK} steps: in
     * the compiled code the inner loop is the steps alone (a compare per load for its bounds
     * check) and the segment's liveness check is made once before the loops. A single loop over
     * all the steps, a block ending every eighth, compiled to a step that re-read the segment's
     * state and tested for the block's end each time (2-8% slower from memory, in five of six
     * alternated runs; 1.8% in the sixth).
     *
     * <p>The float work is written out here with the Vector API's own methods alone, which the
     * JIT always inlines. Through a helper of ours, however small, C2 stopped inlining after the
     * first group (the method is large) and boxed the vectors: 12-14 GB/s. Done apart, in a
     * second pass over block sums stored by this one, the pass was 9% slower (the model's
     * decode matmuls from memory, 20.2 GB/s apart against 22.0 here). The scales are
     * widened without the infinity and NaN cases ({@link #repack} keeps weights that hold them
     * out of this layout): an F16 value's bits moved into a float's places, times 2^112, is
     * the value exactly, subnormals included.
     *
     * <p>Four groups are read in lockstep because that is how the weights stream fastest from
     * memory when decoding: on two cores, plain reads of this layout (no arithmetic) ran at
     * about 20 GB/s with four concurrent streams and 16 with two.
     *
     * <p>This method must stay a compilation of its own: its bytecode is kept above the JIT's
     * {@code FreqInlineSize} (325 bytes; {@code InliningGuardTest} checks it). A kernel inlined
     * into {@code InterleavedMatmul.run} passed, together with the other kernels, the node limit
     * of one compilation, so its steps stayed calls with boxed vectors: a process decoded at a
     * quarter of its speed from start to end, depending on which method the JIT compiled first.
     */
    static void token1Groups4(MemorySegment p, long pOffset, long groupBytes, NibbleActivations a, int blocks,
            float[] results) {
        if (blocks < 0 || blocks > a.scales.length || (long) blocks * GROUP_BLOCK_BYTES > groupBytes) {
            throw new IllegalArgumentException("Q4_0 one-token pass: " + blocks + " blocks, activations of "
                    + a.scales.length + ", groups of " + groupBytes + " bytes");
        }
        short[] x = a.pairs;
        short[] bias = a.biases;
        float[] dx = a.scales;
        long p0 = pOffset, p1 = p0 + groupBytes, p2 = p1 + groupBytes, p3 = p2 + groupBytes;
        long d0 = scalesAt(p0, blocks), d1 = scalesAt(p1, blocks), d2 = scalesAt(p2, blocks), d3 = scalesAt(p3, blocks);
        ShortVector zero = ShortVector.zero(S);
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < blocks; b++) {
            ShortVector s0 = zero, s1 = zero, s2 = zero, s3 = zero;
            for (int k = 0; k < STEPS_PER_BLOCK; k++) {
                int i = b * STEPS_PER_BLOCK + k;
                ShortVector xl = ShortVector.fromArray(S, x, i * PAIR_SHORTS_PER_STEP);
                ShortVector xh = ShortVector.fromArray(S, x, i * PAIR_SHORTS_PER_STEP + 2 * GROUP);
                long o = (long) i * 2 * GROUP;
                s0 = step(bytePairs(p, p0 + o), xl, xh, s0);
                s1 = step(bytePairs(p, p1 + o), xl, xh, s1);
                s2 = step(bytePairs(p, p2 + o), xl, xh, s2);
                s3 = step(bytePairs(p, p3 + o), xl, xh, s3);
            }
            ShortVector start = ShortVector.fromArray(S, bias, b * 2 * GROUP);
            float d = dx[b];
            long at = (long) b * SCALES_BYTES;
            s0 = s0.add(start);
            s1 = s1.add(start);
            s2 = s2.add(start);
            s3 = s3.add(start);
            a0 = ((FloatVector) s0.add(s0.rearrange(SWAP_HALVES)).convertShape(VectorOperators.S2F, F, 0)).fma(
                    ((IntVector) ShortVector.fromMemorySegment(SCALES, p, d0 + at, Simd.LE)
                            .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13)
                            .and(0x8FFF_E000).reinterpretAsFloats().mul(0x1p112f).mul(d), a0);
            a1 = ((FloatVector) s1.add(s1.rearrange(SWAP_HALVES)).convertShape(VectorOperators.S2F, F, 0)).fma(
                    ((IntVector) ShortVector.fromMemorySegment(SCALES, p, d1 + at, Simd.LE)
                            .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13)
                            .and(0x8FFF_E000).reinterpretAsFloats().mul(0x1p112f).mul(d), a1);
            a2 = ((FloatVector) s2.add(s2.rearrange(SWAP_HALVES)).convertShape(VectorOperators.S2F, F, 0)).fma(
                    ((IntVector) ShortVector.fromMemorySegment(SCALES, p, d2 + at, Simd.LE)
                            .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13)
                            .and(0x8FFF_E000).reinterpretAsFloats().mul(0x1p112f).mul(d), a2);
            a3 = ((FloatVector) s3.add(s3.rearrange(SWAP_HALVES)).convertShape(VectorOperators.S2F, F, 0)).fma(
                    ((IntVector) ShortVector.fromMemorySegment(SCALES, p, d3 + at, Simd.LE)
                            .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13)
                            .and(0x8FFF_E000).reinterpretAsFloats().mul(0x1p112f).mul(d), a3);
        }
        a0.intoArray(results, 0);
        a1.intoArray(results, GROUP);
        a2.intoArray(results, 2 * GROUP);
        a3.intoArray(results, 3 * GROUP);
    }

    /** One group from {@code pOffset} against one token, as {@link #token1Groups4} (its scales may be any F16). */
    static void token1Group(MemorySegment p, long pOffset, NibbleActivations a, int blocks, float[] results,
            MemorySegment out, long o) {
        short[] x = a.pairs;
        short[] bias = a.biases;
        float[] dx = a.scales;
        long scales = scalesAt(pOffset, blocks);
        FloatVector a0 = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            long p0 = pOffset + (long) b * NIBBLE_BYTES;
            ShortVector s0 = ShortVector.fromArray(S, bias, b * 2 * GROUP);
            int xb = b * NibbleActivations.PAIR_SHORTS_PER_BLOCK;
            for (int j = 0; j < BLOCK / 2; j += 2) {
                ShortVector xl = ShortVector.fromArray(S, x, xb + j * 2 * GROUP);
                ShortVector xh = ShortVector.fromArray(S, x, xb + j * 2 * GROUP + 2 * GROUP);
                s0 = step(bytePairs(p, p0 + (long) j * GROUP), xl, xh, s0);
            }
            a0 = blockSums(s0).fma(scales(p, scales + (long) b * SCALES_BYTES).mul(dx[b]), a0);
        }
        InterleavedMatmul.store(a0, results, out, o);
    }

    /*
     * A nibble byte q = 16 hi + lo holds elements j (lo) and j + 16 (hi) of a block. With the
     * activations ActivationFloats stores for nibbles (x'[j] = x[j] - x[j + 16] / 16 and
     * x'[j + 16] = x[j + 16] / 16), q x'[j + 16] + lo x'[j] = lo x[j] + hi x[j + 16]: one
     * conversion of the whole byte replaces the shift and the conversion of the high nibble.
     * Every term is a multiple of 1/16 below 2^12 and a block's sum stays below 2^17, so all
     * of it is exact in float and the block sum is the reference's int sum.
     */

    /**
     * Two groups from {@code pOffset} ({@code groupBytes} apart) against the six tokens in
     * {@code a}, into {@code out} ({@code outStride} bytes between tokens), their scales from
     * {@code scales} ({@link #widenScales}, the first group's from {@code scalesOffset}): each
     * nibble vector (one load and three conversions for the two nibbles) serves six tokens,
     * each activation broadcast two groups. The nibbles are multiplied unbiased and the bias taken off at the
     * end of each block, exactly: {@code sum (q - 8) x = sum q x - 8 sum x}. Six tokens by two
     * groups was the fastest shape in a microbenchmark (the 24 sums and totals stay in
     * registers); with four groups the method outgrows what the JIT inlines and the vectors
     * get boxed.
     */
    static void tokens6Groups2(MemorySegment p, long pOffset, long groupBytes, ActivationFloats a, int n,
            int blocks, float[] scales, int scalesOffset, float[] results, MemorySegment out, long o, long outStride) {
        float[] x = a.values;
        float[] dx = a.scales;
        float[] bias = a.biases;
        FloatVector z = FloatVector.zero(F);
        FloatVector a00 = z, a01 = z, a02 = z, a03 = z, a04 = z, a05 = z;
        FloatVector a10 = z, a11 = z, a12 = z, a13 = z, a14 = z, a15 = z;
        for (int b = 0; b < blocks; b++) {
            long p0 = pOffset + (long) b * NIBBLE_BYTES;
            long p1 = p0 + groupBytes;
            int xb = b * BLOCK;
            FloatVector s00 = z, s01 = z, s02 = z, s03 = z, s04 = z, s05 = z;
            FloatVector s10 = z, s11 = z, s12 = z, s13 = z, s14 = z, s15 = z;
            for (int j = 0; j < BLOCK / 2; j++) {
                IntVector q0 = nibbles(p, p0, j), q1 = nibbles(p, p1, j);
                FloatVector w0 = low(q0), w1 = low(q1);
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
                w0 = whole(q0);
                w1 = whole(q1);
                int h = i + BLOCK / 2;
                x0 = FloatVector.broadcast(F, x[h]);
                s00 = w0.fma(x0, s00);
                s10 = w1.fma(x0, s10);
                x1 = FloatVector.broadcast(F, x[n + h]);
                s01 = w0.fma(x1, s01);
                s11 = w1.fma(x1, s11);
                x2 = FloatVector.broadcast(F, x[2 * n + h]);
                s02 = w0.fma(x2, s02);
                s12 = w1.fma(x2, s12);
                x3 = FloatVector.broadcast(F, x[3 * n + h]);
                s03 = w0.fma(x3, s03);
                s13 = w1.fma(x3, s13);
                x4 = FloatVector.broadcast(F, x[4 * n + h]);
                s04 = w0.fma(x4, s04);
                s14 = w1.fma(x4, s14);
                x5 = FloatVector.broadcast(F, x[5 * n + h]);
                s05 = w0.fma(x5, s05);
                s15 = w1.fma(x5, s15);
            }
            FloatVector d0 = FloatVector.fromArray(F, scales, scalesOffset + b * GROUP);
            FloatVector d1 = FloatVector.fromArray(F, scales, scalesOffset + (blocks + b) * GROUP);
            float dx0 = dx[b], m0 = bias[b];
            float dx1 = dx[blocks + b], m1 = bias[blocks + b];
            float dx2 = dx[2 * blocks + b], m2 = bias[2 * blocks + b];
            float dx3 = dx[3 * blocks + b], m3 = bias[3 * blocks + b];
            float dx4 = dx[4 * blocks + b], m4 = bias[4 * blocks + b];
            float dx5 = dx[5 * blocks + b], m5 = bias[5 * blocks + b];
            a00 = s00.sub(m0).fma(d0.mul(dx0), a00);
            a01 = s01.sub(m1).fma(d0.mul(dx1), a01);
            a02 = s02.sub(m2).fma(d0.mul(dx2), a02);
            a03 = s03.sub(m3).fma(d0.mul(dx3), a03);
            a04 = s04.sub(m4).fma(d0.mul(dx4), a04);
            a05 = s05.sub(m5).fma(d0.mul(dx5), a05);
            a10 = s10.sub(m0).fma(d1.mul(dx0), a10);
            a11 = s11.sub(m1).fma(d1.mul(dx1), a11);
            a12 = s12.sub(m2).fma(d1.mul(dx2), a12);
            a13 = s13.sub(m3).fma(d1.mul(dx3), a13);
            a14 = s14.sub(m4).fma(d1.mul(dx4), a14);
            a15 = s15.sub(m5).fma(d1.mul(dx5), a15);
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
            float[] scales, int scalesOffset, float[] results, MemorySegment out, long o, long outStride) {
        float[] x = a.values;
        float[] dx = a.scales;
        float[] bias = a.biases;
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = z, a1 = z, a2 = z, a3 = z, a4 = z, a5 = z;
        for (int b = 0; b < blocks; b++) {
            long p0 = pOffset + (long) b * NIBBLE_BYTES;
            int xb = b * BLOCK;
            FloatVector s0 = z, s1 = z, s2 = z, s3 = z, s4 = z, s5 = z;
            for (int j = 0; j < BLOCK / 2; j++) {
                IntVector q = nibbles(p, p0, j);
                FloatVector lo = low(q), hi = whole(q);
                int i = xb + j, h = i + BLOCK / 2;
                s0 = hi.fma(FloatVector.broadcast(F, x[h]), lo.fma(FloatVector.broadcast(F, x[i]), s0));
                s1 = hi.fma(FloatVector.broadcast(F, x[n + h]), lo.fma(FloatVector.broadcast(F, x[n + i]), s1));
                s2 = hi.fma(FloatVector.broadcast(F, x[2 * n + h]), lo.fma(FloatVector.broadcast(F, x[2 * n + i]), s2));
                s3 = hi.fma(FloatVector.broadcast(F, x[3 * n + h]), lo.fma(FloatVector.broadcast(F, x[3 * n + i]), s3));
                s4 = hi.fma(FloatVector.broadcast(F, x[4 * n + h]), lo.fma(FloatVector.broadcast(F, x[4 * n + i]), s4));
                s5 = hi.fma(FloatVector.broadcast(F, x[5 * n + h]), lo.fma(FloatVector.broadcast(F, x[5 * n + i]), s5));
            }
            FloatVector d0 = FloatVector.fromArray(F, scales, scalesOffset + b * GROUP);
            a0 = s0.sub(bias[b]).fma(d0.mul(dx[b]), a0);
            a1 = s1.sub(bias[blocks + b]).fma(d0.mul(dx[blocks + b]), a1);
            a2 = s2.sub(bias[2 * blocks + b]).fma(d0.mul(dx[2 * blocks + b]), a2);
            a3 = s3.sub(bias[3 * blocks + b]).fma(d0.mul(dx[3 * blocks + b]), a3);
            a4 = s4.sub(bias[4 * blocks + b]).fma(d0.mul(dx[4 * blocks + b]), a4);
            a5 = s5.sub(bias[5 * blocks + b]).fma(d0.mul(dx[5 * blocks + b]), a5);
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
            throw new IllegalArgumentException("Q4_0 row of " + n + " elements: must be a non-negative multiple of "
                    + BLOCK);
        }
    }
}
