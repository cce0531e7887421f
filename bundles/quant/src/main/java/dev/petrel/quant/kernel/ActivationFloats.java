package dev.petrel.quant.kernel;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q8_0 activations of a few tokens widened to floats for the interleaved kernels: each int8
 * value as a float, and each block's F16 scale as a float. The kernels then multiply with
 * float fused multiply-adds instead of int multiplies: an int8 (or nibble) weight times an
 * int8 activation is an integer of at most 2^14 in magnitude, and 32 of them sum to less
 * than 2^24, so every product and partial sum of a block is exact in float, in any order, and
 * the block sum equals the int sum of the scalar reference bit for bit. A float multiply-add
 * takes one instruction where x86 needs two for an int multiply, and the broadcast of an
 * activation value is shared by all the rows in a pass.
 *
 * <p>One set of arrays per thread, reused: {@link #of} gives the calling thread's, grown on demand.
 * Only for CPUs with the interleaved kernels (vectors of at least 256 bits).
 */
final class ActivationFloats {

    private static final VectorSpecies<Float> F = Simd.F;
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class,
            VectorShape.forBitSize(Math.max(64, F.length() * 8)));

    /**
     * The calling thread's arrays (values, scales, biases). Plain arrays, not instances of this
     * class: a value held by a long-lived thread must not pin this bundle's class loader.
     */
    private static final ThreadLocal<float[][]> PER_THREAD = ThreadLocal.withInitial(() -> new float[3][0]);

    /** Token {@code t}'s values from {@code t * n}. */
    final float[] values;
    /** Token {@code t}'s block scales from {@code t * blocks}. */
    final float[] scales;
    /** Token {@code t}'s block sums times 8 from {@code t * blocks} (Q4_0's nibble bias), when asked for. */
    final float[] biases;

    private ActivationFloats(float[][] arrays) {
        this.values = arrays[0];
        this.scales = arrays[1];
        this.biases = arrays[2];
    }

    /** The calling thread's buffers, holding at least {@code tokens} tokens of {@code n} values. */
    static ActivationFloats of(int tokens, int n) {
        float[][] arrays = PER_THREAD.get();
        int blocks = n / Q8_0Kernel.BLOCK;
        if (arrays[0].length < tokens * n) {
            arrays[0] = new float[tokens * n];
            LAST_TOKEN.forget();
        }
        if (arrays[1].length < tokens * blocks) {
            arrays[1] = new float[tokens * blocks];
            arrays[2] = new float[tokens * blocks];
            LAST_TOKEN.forget();
        }
        return new ActivationFloats(arrays);
    }

    /** The token the calling thread's arrays hold from index 0, when {@link #widenOne} put it there. */
    private static final LastSource LAST_TOKEN = new LastSource();

    /**
     * {@link #widen} of one token for Q8_0 weights, skipped when the calling thread's arrays
     * already hold it (the other chunks of the same matmul).
     */
    void widenOne(MemorySegment x, long xOffset, int n) {
        int bytes = n / Q8_0Kernel.BLOCK * Q8_0Kernel.BLOCK_BYTES;
        if (LAST_TOKEN.same(x, xOffset, bytes)) {
            return;
        }
        widenRows(x, xOffset, bytes, 1, n, false);
        LAST_TOKEN.record(x, xOffset, bytes);
    }

    /**
     * Widens {@code tokens} Q8_0 activation rows of {@code n} values, {@code xBytes} apart from
     * byte {@code xOffset} of {@code x}. With {@code forNibbles} (Q4_0 weights) each block is
     * stored in the form {@link Q4_0Interleaved} multiplies a whole nibble byte with: values
     * {@code 0..15} become {@code x[j] - x[j + 16] / 16}, values {@code 16..31} become
     * {@code x[j] / 16}, and {@link #biases} gets {@code 8 * sum x}.
     */
    void widen(MemorySegment x, long xOffset, long xBytes, int tokens, int n, boolean forNibbles) {
        LAST_TOKEN.forget();
        widenRows(x, xOffset, xBytes, tokens, n, forNibbles);
    }

    private void widenRows(MemorySegment x, long xOffset, long xBytes, int tokens, int n, boolean forNibbles) {
        int blocks = n / Q8_0Kernel.BLOCK;
        int half = Q8_0Kernel.BLOCK / 2;
        for (int t = 0; t < tokens; t++) {
            for (int b = 0; b < blocks; b++) {
                long xb = xOffset + t * xBytes + (long) b * Q8_0Kernel.BLOCK_BYTES;
                scales[t * blocks + b] = Simd.f16(x, xb);
                int v = t * n + b * Q8_0Kernel.BLOCK;
                FloatVector sum = FloatVector.zero(F);
                for (int j = 0; j < Q8_0Kernel.BLOCK; j += F.length()) {
                    FloatVector q = (FloatVector) ByteVector.fromMemorySegment(B, x, xb + 2 + j, Simd.LE)
                            .convertShape(VectorOperators.B2F, F, 0);
                    q.intoArray(values, v + j);
                    sum = sum.add(q);
                }
                if (forNibbles) {
                    biases[t * blocks + b] = 8 * Simd.sum(sum); // integers: exact in any order
                    for (int j = 0; j < half; j += F.length()) {
                        FloatVector high = FloatVector.fromArray(F, values, v + half + j).mul(1f / 16);
                        FloatVector.fromArray(F, values, v + j).sub(high).intoArray(values, v + j);
                        high.intoArray(values, v + half + j);
                    }
                }
            }
        }
    }
}
