package dev.petrel.quant.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

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
 * <p>One instance per thread, reused: {@link #of} gives the calling thread's, grown on demand.
 */
final class ActivationFloats {

    private static final ThreadLocal<ActivationFloats> PER_THREAD = ThreadLocal.withInitial(ActivationFloats::new);

    /** Token {@code t}'s values from {@code t * n}. */
    float[] values = new float[0];
    /** Token {@code t}'s block scales from {@code t * blocks}. */
    float[] scales = new float[0];
    /** Token {@code t}'s block sums times 8 from {@code t * blocks} (Q4_0's nibble bias), when asked for. */
    float[] biases = new float[0];

    private ActivationFloats() {
    }

    /** The calling thread's buffers, holding at least {@code tokens} tokens of {@code n} values. */
    static ActivationFloats of(int tokens, int n) {
        ActivationFloats a = PER_THREAD.get();
        int blocks = n / Q8_0Kernel.BLOCK;
        if (a.values.length < tokens * n) {
            a.values = new float[tokens * n];
        }
        if (a.scales.length < tokens * blocks) {
            a.scales = new float[tokens * blocks];
            a.biases = new float[tokens * blocks];
        }
        return a;
    }

    /**
     * Widens {@code tokens} Q8_0 activation rows of {@code n} values, {@code xBytes} apart from
     * byte {@code xOffset} of {@code x}; with {@code biases}, also each block's {@code 8 * sum}.
     */
    void widen(MemorySegment x, long xOffset, long xBytes, int tokens, int n, boolean biases) {
        int blocks = n / Q8_0Kernel.BLOCK;
        for (int t = 0; t < tokens; t++) {
            for (int b = 0; b < blocks; b++) {
                long xb = xOffset + t * xBytes + (long) b * Q8_0Kernel.BLOCK_BYTES;
                scales[t * blocks + b] = Simd.f16(x, xb);
                int sum = 0;
                int v = t * n + b * Q8_0Kernel.BLOCK;
                for (int j = 0; j < Q8_0Kernel.BLOCK; j++) {
                    byte q = x.get(ValueLayout.JAVA_BYTE, xb + 2 + j);
                    values[v + j] = q;
                    sum += q;
                }
                if (biases) {
                    this.biases[t * blocks + b] = 8 * sum;
                }
            }
        }
    }
}
