package dev.petrel.quant.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * One token's Q8_0 activations laid out for the 16-bit Q4_0 kernel of {@link Q4_0Interleaved}:
 * a nibble weight (0..15) times an int8 activation fits in 16 bits, so a product takes one
 * 16-bit multiply for twice the lanes of a float multiply-add.
 *
 * <p>The kernel loads two nibble bytes of a group at once (bytes {@code j} and {@code j + 1} of
 * every row: {@code 2 * GROUP} short lanes), so each activation vector here holds two values:
 * for byte pair {@code j = 2i} of block {@code b}, from {@code (b * 8 + i) * 2 * L} ({@code L}
 * short lanes): {@code x[j]} in the first {@code GROUP} lanes and {@code x[j + 1]} in the rest
 * (the low nibbles' partners), then {@code x[j + 16] - 16 x[j]} and {@code x[j + 17] - 16 x[j + 1]}
 * likewise (the high nibbles' partners, less sixteen times the low ones': the kernel multiplies
 * the whole byte by the low partner, see {@code Q4_0Interleaved.step}; at most 127 + 16 * 127
 * in magnitude, a short). {@link #biases} holds, per block, {@code -8 * sum x} in the first
 * {@code GROUP} lanes and 0 in the rest: the nibbles are multiplied unbiased and the bias is
 * the sums' start.
 *
 * <p>Sums wrap modulo 2^16, which is exact here: a block's true sum, {@code sum (q - 8) x}, is at
 * most {@code 32 * 8 * 127 = 32512} in magnitude because Q8_0 activations lie in [-127, 127], so
 * the 16-bit remainder, read as signed, is the sum. Only a block whose activations hold -128 (the
 * quantizer writes that for NaN or infinite inputs alone) could reach 32768; {@link #exact} is
 * then false and the caller takes the plain kernel.
 *
 * <p>One set of arrays per thread, reused, held as plain arrays (see {@link ActivationFloats}).
 */
final class NibbleActivations {

    /** Rows per group of the layout: half the short lanes of {@link #S}. */
    static final int GROUP = Simd.INTERLEAVED_GROUP;
    /** Two nibble bytes of a group, widened: byte j of every row, then byte j + 1. */
    static final VectorSpecies<Short> S = GROUP == 0 ? ShortVector.SPECIES_64
            : VectorSpecies.of(short.class, VectorShape.forBitSize(Math.max(64, 32 * GROUP)));
    /** Half of {@link #S}: one value for a group's rows. */
    private static final VectorSpecies<Short> HALF = GROUP == 0 ? ShortVector.SPECIES_64
            : VectorSpecies.of(short.class, VectorShape.forBitSize(Math.max(64, 16 * GROUP)));
    /** Shorts per block of {@link #pairs}: eight byte pairs, low and high partners. */
    static final int PAIR_SHORTS_PER_BLOCK = 8 * 2 * 2 * GROUP;

    private static final ThreadLocal<Object[]> PER_THREAD = ThreadLocal.withInitial(
            () -> new Object[] {new short[0], new short[0], new float[0], new boolean[1]});
    /** The token the calling thread's arrays hold. */
    private static final LastSource LAST_TOKEN = new LastSource();

    /** The paired activation values (see the class comment). */
    final short[] pairs;
    /** Per block, {@code 2 * GROUP} lanes: {@code -8 * sum x} for the first half, 0 after. */
    final short[] biases;
    /** Per block, the activation scale as a float. */
    final float[] scales;
    /** False when a block holds -128 and a 16-bit sum could overflow. */
    final boolean exact;

    private NibbleActivations(Object[] arrays, boolean exact) {
        this.pairs = (short[]) arrays[0];
        this.biases = (short[]) arrays[1];
        this.scales = (float[]) arrays[2];
        this.exact = exact;
    }

    /** The calling thread's arrays filled from the Q8_0 row of {@code n} values at {@code offset}. */
    static NibbleActivations of(MemorySegment x, long offset, int n) {
        int blocks = n / Q8_0Kernel.BLOCK;
        Object[] arrays = PER_THREAD.get();
        boolean[] exactness = (boolean[]) arrays[3];
        int sourceBytes = blocks * Q8_0Kernel.BLOCK_BYTES;
        if (((short[]) arrays[0]).length < blocks * PAIR_SHORTS_PER_BLOCK) {
            arrays[0] = new short[blocks * PAIR_SHORTS_PER_BLOCK];
            arrays[1] = new short[blocks * 2 * GROUP];
            arrays[2] = new float[blocks];
            LAST_TOKEN.forget();
        } else if (LAST_TOKEN.same(x, offset, sourceBytes)) {
            return new NibbleActivations(arrays, exactness[0]); // the other chunks of the same matmul
        }
        boolean exact = layOut(x, offset, blocks, (short[]) arrays[0], (short[]) arrays[1], (float[]) arrays[2]);
        exactness[0] = exact;
        LAST_TOKEN.record(x, offset, sourceBytes);
        return new NibbleActivations(arrays, exact);
    }

    /**
     * Lays out {@code blocks} Q8_0 blocks from {@code offset} of {@code x} into {@code pairs},
     * {@code biases} and {@code scales} (see the class comment); false when a value is -128.
     */
    static boolean layOut(MemorySegment x, long offset, int blocks, short[] pairs, short[] biases, float[] scales) {
        byte[] q = new byte[Q8_0Kernel.BLOCK];
        boolean exact = true;
        for (int b = 0; b < blocks; b++) {
            long xb = offset + (long) b * Q8_0Kernel.BLOCK_BYTES;
            scales[b] = Simd.f16(x, xb);
            MemorySegment.copy(x, ValueLayout.JAVA_BYTE, xb + 2, q, 0, q.length);
            int sum = 0;
            for (byte v : q) {
                sum += v;
                exact &= v != Byte.MIN_VALUE;
            }
            ShortVector.broadcast(HALF, (short) (-8 * sum)).intoArray(biases, b * 2 * GROUP);
            ShortVector.zero(HALF).intoArray(biases, b * 2 * GROUP + GROUP);
            int base = b * PAIR_SHORTS_PER_BLOCK;
            for (int i = 0; i < 8; i++) {
                int o = base + i * 4 * GROUP;
                ShortVector.broadcast(HALF, q[2 * i]).intoArray(pairs, o);
                ShortVector.broadcast(HALF, q[2 * i + 1]).intoArray(pairs, o + GROUP);
                ShortVector.broadcast(HALF, (short) (q[16 + 2 * i] - 16 * q[2 * i])).intoArray(pairs, o + 2 * GROUP);
                ShortVector.broadcast(HALF, (short) (q[17 + 2 * i] - 16 * q[2 * i + 1])).intoArray(pairs, o + 3 * GROUP);
            }
        }
        return exact;
    }
}
