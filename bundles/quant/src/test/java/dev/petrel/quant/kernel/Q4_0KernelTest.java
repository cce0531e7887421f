package dev.petrel.quant.kernel;

import static dev.petrel.quant.kernel.Rows.SHORT_LE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.petrel.api.weights.TensorType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Q4_0: nibble layout, the reference quantizer, and the vector dot product with Q8_0 activations. */
class Q4_0KernelTest {

    private static final int BLOCK = 32;
    private static final int BYTES = 18;
    private static final int Q8_BYTES = 34;

    @Test
    void dequantize_takesLowNibblesFirstThenHighNibbles() {
        MemorySegment s = MemorySegment.ofArray(new byte[BYTES + 1]);
        s.set(SHORT_LE, 1, (short) 0x3400); // 0.25
        for (int j = 0; j < 16; j++) {
            s.set(ValueLayout.JAVA_BYTE, 3 + j, (byte) (j | (15 - j) << 4));
        }
        float[] out = new float[BLOCK];
        for (QuantKernel k : new QuantKernel[] {Q4_0Kernel.SCALAR, Q4_0Kernel.VECTOR}) {
            k.dequantize(s, 1, out, 0, BLOCK);
            for (int j = 0; j < 16; j++) {
                assertEquals((j - 8) * 0.25f, out[j], "element " + j);
                assertEquals((15 - j - 8) * 0.25f, out[16 + j], "element " + (16 + j));
            }
        }
    }

    @Test
    void quantize_mapsSignedMaximumToMinusEightAndTruncatesAfterAddingEightAndAHalf() {
        float[] x = new float[BLOCK];
        for (int j = 0; j < BLOCK; j++) {
            x[j] = (j % 7 - 3) * 0.375f;
        }
        x[3] = -4f; // largest magnitude, negative: d = -4 / -8 = 0.5, id = 2
        x[20] = 4f; // same magnitude, found later: not the maximum; 4 * 2 + 8.5 = 16.5 -> 16 -> 15
        x[5] = 0.25f; // 0.5 + 8.5 = 9 -> 9
        x[6] = -0.25f; // -0.5 + 8.5 = 8 -> 8
        x[7] = -0.26f; // -0.52 + 8.5 = 7.98 -> 7
        MemorySegment q = MemorySegment.ofArray(new byte[BYTES]);
        Q4_0Kernel.SCALAR.quantize(x, 0, q, 0, BLOCK);
        assertEquals((short) 0x3800, q.get(SHORT_LE, 0));
        assertEquals(0, nibble(q, 3));
        assertEquals(15, nibble(q, 20));
        assertEquals(9, nibble(q, 5));
        assertEquals(8, nibble(q, 6));
        assertEquals(7, nibble(q, 7));

        x[3] = 4f; // positive maximum: d = -0.5
        x[20] = -4f;
        Q4_0Kernel.SCALAR.quantize(x, 0, q, 0, BLOCK);
        assertEquals((short) 0xB800, q.get(SHORT_LE, 0));
        assertEquals(0, nibble(q, 3));
        assertEquals(15, nibble(q, 20));
    }

    @Test
    void quantize_roundTripsWithinOneStep() {
        Random random = new Random(42);
        float[] x = Rows.gaussian(random, 4096, 0.02);
        MemorySegment q = MemorySegment.ofArray(new byte[4096 / BLOCK * BYTES]);
        Q4_0Kernel.SCALAR.quantize(x, 0, q, 0, 4096);
        float[] back = new float[4096];
        Q4_0Kernel.SCALAR.dequantize(q, 0, back, 0, 4096);
        for (int i = 0; i < 4096; i++) {
            float d = Math.abs(F16Kernel.toFloat(q.get(SHORT_LE, (long) i / BLOCK * BYTES)));
            // half a step, or a whole one where +8 is clamped to 7
            assertTrue(Math.abs(back[i] - x[i]) <= d * 1.01f, "element " + i);
        }
    }

    @Test
    void activations_areQ8_0() {
        assertSame(TensorType.Q8_0, Q4_0Kernel.VECTOR.dotType());
        Random random = new Random(43);
        float[] x = Rows.gaussian(random, 256, 2);
        MemorySegment a = MemorySegment.ofArray(new byte[8 * Q8_BYTES]);
        MemorySegment b = MemorySegment.ofArray(new byte[8 * Q8_BYTES]);
        Q4_0Kernel.SCALAR.quantizeActivations(x, 0, a, 0, 256);
        Q8_0Kernel.VECTOR.quantizeActivations(x, 0, b, 0, 256);
        assertEquals(-1, a.mismatch(b));
        assertEquals(8L * Q8_BYTES, Q4_0Kernel.VECTOR.activationBytes(256));
    }

    @Test
    void dot_isExactInIntegersWhenScalesAreOne() {
        Random random = new Random(44);
        try (Arena arena = Arena.ofConfined()) {
            for (int n : Rows.BLOCK_LENGTHS) {
                int blocks = n / BLOCK;
                MemorySegment w = arena.allocate(blocks * BYTES + 3L);
                MemorySegment x = arena.allocate(blocks * Q8_BYTES + 1L);
                Rows.unitScaleBlocks(random, w, 3, blocks, BYTES, true, false);
                Rows.unitScaleBlocks(random, x, 1, blocks, Q8_BYTES, false, false);
                long exact = 0;
                for (int i = 0; i < n; i++) {
                    exact += (long) (nibble(w, 3, i) - 8) * q8(x, 1, i);
                }
                assertEquals(exact, Q4_0Kernel.SCALAR.dot(w, 3, x, 1, n), 0.0, "scalar n=" + n);
                assertEquals(exact, Q4_0Kernel.VECTOR.dot(w, 3, x, 1, n), 0.0, "vector n=" + n);
            }
        }
    }

    /** As for Q8_0 (see Q8_0KernelTest): both kernels give the in-order FMA sum, within the same bound of the exact one. */
    @Test
    void dot_vectorAgreesWithReferenceWithinSummationBound() {
        Random random = new Random(45);
        double worst = 0;
        try (Arena arena = Arena.ofConfined()) {
            for (int round = 0; round < 20; round++) {
                for (int n : Rows.BLOCK_LENGTHS) {
                    int blocks = n / BLOCK;
                    MemorySegment w = arena.allocate(blocks * BYTES);
                    MemorySegment x = arena.allocate(blocks * Q8_BYTES);
                    if (round % 2 == 0) {
                        Rows.randomBlocks(random, w, 0, blocks, BYTES);
                        Rows.randomBlocks(random, x, 0, blocks, Q8_BYTES);
                    } else {
                        Q4_0Kernel.SCALAR.quantize(Rows.gaussian(random, n, 0.02), 0, w, 0, n);
                        Q4_0Kernel.VECTOR.quantizeActivations(Rows.gaussian(random, n, 3), 0, x, 0, n);
                    }
                    double exact = 0;
                    double a = 0;
                    float ordered = 0f; // llama.cpp's AMX order: blocks in turn, one FMA each
                    for (int b = 0; b < blocks; b++) {
                        float d = F16Kernel.toFloat(w.get(SHORT_LE, (long) b * BYTES))
                                * F16Kernel.toFloat(x.get(SHORT_LE, (long) b * Q8_BYTES));
                        long isum = 0;
                        long iabs = 0;
                        for (int j = 0; j < BLOCK; j++) {
                            long p = (long) (nibble(w, 0, b * BLOCK + j) - 8) * q8(x, 0, b * BLOCK + j);
                            isum += p;
                            iabs += Math.abs(p);
                        }
                        exact += (double) d * isum;
                        a += Math.abs((double) d) * iabs;
                        ordered = Math.fma((float) isum, d, ordered);
                    }
                    float ref = Q4_0Kernel.SCALAR.dot(w, 0, x, 0, n);
                    float vec = Q4_0Kernel.VECTOR.dot(w, 0, x, 0, n);
                    double bound = (blocks + Simd.F4.length() + 2) * Rows.U * a;
                    assertEquals(exact, ref, bound, "reference n=" + n);
                    assertEquals(exact, vec, bound, "vector n=" + n);
                    assertEquals(Float.floatToRawIntBits(ordered), Float.floatToRawIntBits(ref), "reference order n=" + n);
                    assertEquals(Float.floatToRawIntBits(ordered), Float.floatToRawIntBits(vec), "vector order n=" + n);
                    worst = Math.max(worst, Math.abs(vec - ref) / a);
                }
            }
        }
        System.out.printf("Q4_0 dot: largest |vector - reference| / A = %.3g (u = %.3g)%n", worst, Rows.U);
    }

    private static int nibble(MemorySegment q, int element) {
        return nibble(q, 0, element);
    }

    /** Nibble of element {@code i} of a Q4_0 row at {@code offset}: low for 0..15, high for 16..31. */
    private static int nibble(MemorySegment q, long offset, int i) {
        int j = i % BLOCK;
        int b = q.get(ValueLayout.JAVA_BYTE, offset + (long) i / BLOCK * BYTES + 2 + j % 16) & 0xFF;
        return j < 16 ? b & 0x0F : b >>> 4;
    }

    private static int q8(MemorySegment q, long offset, int i) {
        return q.get(ValueLayout.JAVA_BYTE, offset + (long) i / BLOCK * Q8_BYTES + 2 + i % BLOCK);
    }
}
