package dev.petrel.quant.kernel;

import static dev.petrel.quant.kernel.Rows.SHORT_LE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Q8_0: layout, both quantizers, and the vector dot product against the scalar reference. */
class Q8_0KernelTest {

    private static final int BLOCK = 32;
    private static final int BYTES = 34;

    @Test
    void dequantize_multipliesEachQuantByTheBlockScale() {
        MemorySegment s = MemorySegment.ofArray(new byte[2 * BYTES + 3]);
        long o = 3; // unaligned
        s.set(SHORT_LE, o, (short) 0x3800); // 0.5
        s.set(SHORT_LE, o + BYTES, (short) 0xC000); // -2
        for (int j = 0; j < BLOCK; j++) {
            s.set(ValueLayout.JAVA_BYTE, o + 2 + j, (byte) (j * 8 - 128)); // -128 .. 120
            s.set(ValueLayout.JAVA_BYTE, o + BYTES + 2 + j, (byte) (127 - j));
        }
        float[] out = new float[2 * BLOCK + 1];
        for (QuantKernel k : new QuantKernel[] {Q8_0Kernel.SCALAR, Q8_0Kernel.VECTOR}) {
            k.dequantize(s, o, out, 1, 2 * BLOCK);
            for (int j = 0; j < BLOCK; j++) {
                assertEquals((j * 8 - 128) * 0.5f, out[1 + j]);
                assertEquals((127 - j) * -2f, out[1 + BLOCK + j]);
            }
        }
    }

    @Test
    void quantize_followsReferenceScaleAndRoundsTiesAwayFromZero() {
        float[] x = new float[BLOCK];
        x[0] = 127f; // amax 127: d = 1, id = 1
        x[1] = 2.5f;
        x[2] = -2.5f;
        x[3] = 0.5f;
        x[4] = -126.5f;
        for (int j = 5; j < BLOCK; j++) {
            x[j] = j - 17.25f;
        }
        MemorySegment q = MemorySegment.ofArray(new byte[BYTES]);
        Q8_0Kernel.SCALAR.quantize(x, 0, q, 0, BLOCK);
        assertEquals((short) 0x3C00, q.get(SHORT_LE, 0));
        assertEquals(127, quant(q, 0));
        assertEquals(3, quant(q, 1));
        assertEquals(-3, quant(q, 2));
        assertEquals(1, quant(q, 3));
        assertEquals(-127, quant(q, 4));
        for (int j = 5; j < BLOCK; j++) {
            assertEquals(Math.round(j - 17.25f), quant(q, j));
        }
    }

    @Test
    void quantizeActivations_roundsTiesToEvenAsX86Does() {
        float[] x = new float[BLOCK];
        x[0] = -127f;
        x[1] = 2.5f;
        x[2] = -2.5f;
        x[3] = 0.5f;
        x[4] = 3.5f;
        for (int j = 5; j < BLOCK; j++) {
            x[j] = j - 17.25f;
        }
        MemorySegment q = MemorySegment.ofArray(new byte[BYTES]);
        Q8_0Kernel.VECTOR.quantizeActivations(x, 0, q, 0, BLOCK);
        assertEquals((short) 0x3C00, q.get(SHORT_LE, 0));
        assertEquals(-127, quant(q, 0));
        assertEquals(2, quant(q, 1));
        assertEquals(-2, quant(q, 2));
        assertEquals(0, quant(q, 3));
        assertEquals(4, quant(q, 4));
    }

    /**
     * x86's quantize_row_q8_0 multiplies by 127 / amax; the reference by 1 / (amax / 127). The
     * two differ in the last bit for some amax, and then some quants differ: find such a case
     * and check each quantizer keeps to its own formula.
     */
    @Test
    void quantizeActivations_scalesBy127OverAmaxNotByInverseOfD() {
        Random random = new Random(8);
        for (int attempt = 0; attempt < 100_000; attempt++) {
            float amax = 0.5f + random.nextFloat();
            float idX86 = 127f / amax;
            float idRef = 1f / (amax / 127f);
            if (idX86 == idRef) {
                continue;
            }
            for (int k = 1; k < 126; k++) {
                float x = (k + 0.5f) / idX86;
                for (int ulp = -2; ulp <= 2; ulp++, x = Math.nextUp(x)) {
                    float vx86 = (float) Math.rint(x * idX86);
                    float vRef = X86.roundf(x * idRef);
                    if (vx86 == vRef) {
                        continue;
                    }
                    float[] block = new float[BLOCK];
                    block[0] = amax;
                    block[1] = x;
                    for (int j = 2; j < BLOCK; j++) {
                        block[j] = amax * (j - 16) / 32f;
                    }
                    MemorySegment act = MemorySegment.ofArray(new byte[BYTES]);
                    MemorySegment ref = MemorySegment.ofArray(new byte[BYTES]);
                    Q8_0Kernel.VECTOR.quantizeActivations(block, 0, act, 0, BLOCK);
                    Q8_0Kernel.SCALAR.quantize(block, 0, ref, 0, BLOCK);
                    assertEquals((int) vx86, quant(act, 1));
                    assertEquals((int) vRef, quant(ref, 1));
                    assertNotEquals(quant(act, 1), quant(ref, 1));
                    return;
                }
            }
        }
        throw new AssertionError("no amax found where 127/amax and 1/(amax/127) round differently");
    }

    @Test
    void quantizeActivations_matchesItsFormulaOnRandomRows() {
        Random random = new Random(81);
        for (int n : Rows.BLOCK_LENGTHS) {
            float[] x = Rows.gaussian(random, n + 3, 1.0 + random.nextInt(100));
            MemorySegment fromArray = MemorySegment.ofArray(new byte[n / BLOCK * BYTES + 1]);
            MemorySegment fromSegment = MemorySegment.ofArray(new byte[n / BLOCK * BYTES + 1]);
            Q8_0Kernel.VECTOR.quantizeActivations(x, 3, fromArray, 1, n);
            MemorySegment src = MemorySegment.ofArray(new byte[4 * (n + 3)]);
            MemorySegment.copy(x, 0, src, Rows.FLOAT_LE, 0, n + 3);
            Q8_0Kernel.SCALAR.quantizeActivations(src, 12, fromSegment, 1, n);
            assertArrayEquals(fromArray.toArray(ValueLayout.JAVA_BYTE), fromSegment.toArray(ValueLayout.JAVA_BYTE));
            for (int b = 0; b < n / BLOCK; b++) {
                float amax = 0;
                for (int j = 0; j < BLOCK; j++) {
                    amax = Math.max(amax, Math.abs(x[3 + b * BLOCK + j]));
                }
                long block = 1 + (long) b * BYTES;
                assertEquals(Float.floatToFloat16(amax / 127f), fromArray.get(SHORT_LE, block));
                for (int j = 0; j < BLOCK; j++) {
                    int expected = (int) Math.rint(x[3 + b * BLOCK + j] * (127f / amax));
                    assertEquals(expected, (int) fromArray.get(ValueLayout.JAVA_BYTE, block + 2 + j),
                            "block " + b + " elt " + j);
                }
            }
        }
    }

    /**
     * The vector path (finite blocks on lanes, the others scalar) writes the scalar reference's
     * bytes: blocks of every magnitude from subnormal to near overflow, ties, zeros, negative
     * zeros, and blocks with a NaN or an infinity; native and heap segments.
     */
    @Test
    void quantizeActivations_vectorSegmentPathEqualsScalarReference() {
        Random random = new Random(82);
        int n = 64 * BLOCK;
        for (int round = 0; round < 200; round++) {
            float[] x = new float[n];
            for (int b = 0; b < n / BLOCK; b++) {
                double scale = Math.pow(10, random.nextInt(80) - 44);
                for (int j = 0; j < BLOCK; j++) {
                    x[b * BLOCK + j] = switch (random.nextInt(40)) {
                        case 0 -> 0f;
                        case 1 -> -0f;
                        case 2 -> random.nextInt(9) - 4 + 0.5f; // ties once scaled by 127/amax = 1 below
                        default -> (float) (random.nextGaussian() * scale);
                    };
                }
                switch (random.nextInt(30)) {
                    case 0 -> x[b * BLOCK + random.nextInt(BLOCK)] = Float.NaN;
                    case 1 -> x[b * BLOCK + random.nextInt(BLOCK)] = Float.NEGATIVE_INFINITY;
                    case 2 -> java.util.Arrays.fill(x, b * BLOCK, (b + 1) * BLOCK, 0f);
                    case 3 -> { // amax 127: the elements themselves, ties included
                        for (int j = 0; j < BLOCK; j++) {
                            x[b * BLOCK + j] = (random.nextInt(255) - 127) / 2f;
                        }
                        x[b * BLOCK] = 127f;
                    }
                    default -> { }
                }
            }
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment src = arena.allocate(4L * n + 4);
                MemorySegment.copy(x, 0, src, Rows.FLOAT_LE, 4, n);
                MemorySegment vector = arena.allocate(n / BLOCK * BYTES + 1);
                MemorySegment heap = MemorySegment.ofArray(new byte[n / BLOCK * BYTES + 1]);
                MemorySegment scalar = MemorySegment.ofArray(new byte[n / BLOCK * BYTES + 1]);
                Q8_0Kernel.VECTOR.quantizeActivations(src, 4, vector, 1, n);
                Q8_0Kernel.VECTOR.quantizeActivations(src, 4, heap, 1, n);
                Q8_0Kernel.SCALAR.quantizeActivations(src, 4, scalar, 1, n);
                assertArrayEquals(scalar.toArray(ValueLayout.JAVA_BYTE), vector.toArray(ValueLayout.JAVA_BYTE),
                        "round " + round);
                assertArrayEquals(scalar.toArray(ValueLayout.JAVA_BYTE), heap.toArray(ValueLayout.JAVA_BYTE),
                        "round " + round + " (heap)");
            }
        }
    }

    @Test
    void quantizeActivations_handlesNonFiniteValuesAsX86Does() {
        float[] x = new float[BLOCK];
        for (int j = 0; j < BLOCK; j++) {
            x[j] = j + 1f;
        }
        x[5] = Float.POSITIVE_INFINITY; // amax = inf, id = 0: inf * 0 = NaN -> indefinite -> -128
        MemorySegment q = MemorySegment.ofArray(new byte[BYTES]);
        Q8_0Kernel.VECTOR.quantizeActivations(x, 0, q, 0, BLOCK);
        assertEquals((short) 0x7C00, q.get(SHORT_LE, 0));
        assertEquals(-128, quant(q, 5));
        assertEquals(0, quant(q, 6));

        x[5] = 6f;
        x[0] = Float.NaN; // first operand of maxps: dropped from amax, then quantized to -128
        Q8_0Kernel.VECTOR.quantizeActivations(x, 0, q, 0, BLOCK);
        assertEquals(Float.floatToFloat16(32f / 127f), q.get(SHORT_LE, 0));
        assertEquals(-128, quant(q, 0));
        assertEquals(127, quant(q, 31));
    }

    @Test
    void quantize_roundTripsWithinHalfAStep() {
        Random random = new Random(82);
        float[] x = Rows.gaussian(random, 4096, 0.02);
        MemorySegment q = MemorySegment.ofArray(new byte[4096 / BLOCK * BYTES]);
        Q8_0Kernel.SCALAR.quantize(x, 0, q, 0, 4096);
        float[] back = new float[4096];
        Q8_0Kernel.VECTOR.dequantize(q, 0, back, 0, 4096);
        for (int i = 0; i < 4096; i++) {
            float d = F16Kernel.toFloat(q.get(SHORT_LE, (long) i / BLOCK * BYTES));
            // d is rounded to F16 after q was chosen with the unrounded scale: allow its error too
            assertTrue(Math.abs(back[i] - x[i]) <= d * (0.5f + 128 * 0x1p-11f) * 1.001f, "element " + i);
        }
    }

    @Test
    void dot_isExactInIntegersWhenScalesAreOne() {
        Random random = new Random(83);
        try (Arena arena = Arena.ofConfined()) {
            for (int n : Rows.BLOCK_LENGTHS) {
                int blocks = n / BLOCK;
                MemorySegment w = arena.allocate(blocks * BYTES + 5L);
                MemorySegment x = arena.allocate(blocks * BYTES + 7L);
                // every int8 in the weight, -128 included; activations stay within +-127 as quantized ones do
                Rows.unitScaleBlocks(random, w, 5, blocks, BYTES, false, true);
                Rows.unitScaleBlocks(random, x, 7, blocks, BYTES, false, false);
                long exact = 0;
                long magnitude = 0;
                for (int i = 0; i < n; i++) {
                    long p = (long) quant(w, 5, i) * quant(x, 7, i);
                    exact += p;
                    magnitude += Math.abs(p);
                }
                assertTrue(magnitude < 1 << 24, "every partial sum is an exact float");
                assertEquals(exact, Q8_0Kernel.SCALAR.dot(w, 5, x, 7, n), 0.0, "scalar n=" + n);
                assertEquals(exact, Q8_0Kernel.VECTOR.dot(w, 5, x, 7, n), 0.0, "vector n=" + n);
            }
        }
    }

    /**
     * Random quants and scales. Both kernels sum the same exact per-block integers times the same
     * F16-rounded scale products into one float accumulator, block after block, one FMA each
     * (llama.cpp's AMX kernels' order): so they agree bit for bit with that sum, and it lies
     * within (blocks + 2) * u * A of the exact sum, where A = sum over blocks of
     * |d_w d_x| * sum |q_w q_x| (Higham's bound for recursive summation; the bound below keeps
     * a few more ulps of slack).
     */
    @Test
    void dot_vectorAgreesWithReferenceWithinSummationBound() {
        Random random = new Random(84);
        double worst = 0;
        try (Arena arena = Arena.ofConfined()) {
            for (int round = 0; round < 20; round++) {
                for (int n : Rows.BLOCK_LENGTHS) {
                    int blocks = n / BLOCK;
                    MemorySegment w = arena.allocate(blocks * BYTES);
                    MemorySegment x = arena.allocate(blocks * BYTES + 1L);
                    if (round % 2 == 0) {
                        Rows.randomBlocks(random, w, 0, blocks, BYTES);
                        Rows.randomBlocks(random, x, 1, blocks, BYTES);
                    } else {
                        // realistic rows: weights from the reference quantizer, activations as llama.cpp makes them
                        Q8_0Kernel.SCALAR.quantize(Rows.gaussian(random, n, 0.02), 0, w, 0, n);
                        Q8_0Kernel.VECTOR.quantizeActivations(Rows.gaussian(random, n, 3), 0, x, 1, n);
                    }
                    double exact = 0;
                    double a = 0;
                    float ordered = 0f; // llama.cpp's AMX order: blocks in turn, one FMA each
                    for (int b = 0; b < blocks; b++) {
                        float d = F16Kernel.toFloat(w.get(SHORT_LE, (long) b * BYTES))
                                * F16Kernel.toFloat(x.get(SHORT_LE, 1L + b * BYTES));
                        long isum = 0;
                        long iabs = 0;
                        for (int j = 0; j < BLOCK; j++) {
                            long p = (long) quant(w, 0, b * BLOCK + j) * quant(x, 1, b * BLOCK + j);
                            isum += p;
                            iabs += Math.abs(p);
                        }
                        exact += (double) d * isum;
                        a += Math.abs((double) d) * iabs;
                        ordered = Math.fma((float) isum, d, ordered);
                    }
                    float ref = Q8_0Kernel.SCALAR.dot(w, 0, x, 1, n);
                    float vec = Q8_0Kernel.VECTOR.dot(w, 0, x, 1, n);
                    double bound = (blocks + Simd.F.length() + 2) * Rows.U * a;
                    assertEquals(exact, ref, bound, "reference n=" + n);
                    assertEquals(exact, vec, bound, "vector n=" + n);
                    assertEquals(Float.floatToRawIntBits(ordered), Float.floatToRawIntBits(ref), "reference order n=" + n);
                    assertEquals(Float.floatToRawIntBits(ordered), Float.floatToRawIntBits(vec), "vector order n=" + n);
                    worst = Math.max(worst, Math.abs(vec - ref) / a);
                }
            }
        }
        System.out.printf("Q8_0 dot: largest |vector - reference| / A = %.3g (u = %.3g)%n", worst, Rows.U);
    }

    /**
     * ggml's x86 {@code vec_dot_q8_0_q8_0} order, written out here: eight float lanes, lane
     * {@code m} of a block taking the exact sum of the products of quants {@code 4m .. 4m+3}
     * with one FMA by the block's scale product; then {@code hsum_float_8}. Both kernels give it
     * bit for bit, and on random rows it differs from {@link Q8_0Kernel#dot} (the AMX order) in
     * the last bits often enough to matter.
     */
    @Test
    void dotInVecDotOrder_sumsEightLanesAsGgmlsAvx2KernelDoes() {
        Random random = new Random(85);
        int differing = 0;
        int total = 0;
        try (Arena arena = Arena.ofConfined()) {
            for (int round = 0; round < 20; round++) {
                for (int n : Rows.BLOCK_LENGTHS) {
                    int blocks = n / BLOCK;
                    MemorySegment w = arena.allocate(blocks * BYTES + 3L);
                    MemorySegment x = arena.allocate(blocks * BYTES + 1L);
                    Q8_0Kernel.SCALAR.quantize(Rows.gaussian(random, n, 0.02), 0, w, 3, n);
                    Q8_0Kernel.VECTOR.quantizeActivations(Rows.gaussian(random, n, 3), 0, x, 1, n);
                    float[] lanes = new float[8];
                    for (int b = 0; b < blocks; b++) {
                        float d = F16Kernel.toFloat(w.get(SHORT_LE, 3L + b * BYTES))
                                * F16Kernel.toFloat(x.get(SHORT_LE, 1L + b * BYTES));
                        for (int m = 0; m < 8; m++) {
                            int lane = 0;
                            for (int k = 0; k < 4; k++) {
                                lane += quant(w, 3, b * BLOCK + 4 * m + k) * quant(x, 1, b * BLOCK + 4 * m + k);
                            }
                            lanes[m] = Math.fma(d, (float) lane, lanes[m]);
                        }
                    }
                    float want = ((lanes[0] + lanes[4]) + (lanes[2] + lanes[6]))
                            + ((lanes[1] + lanes[5]) + (lanes[3] + lanes[7]));
                    float scalar = Q8_0Kernel.SCALAR.dotInVecDotOrder(w, 3, x, 1, n);
                    float vector = Q8_0Kernel.VECTOR.dotInVecDotOrder(w, 3, x, 1, n);
                    assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(scalar), "scalar n=" + n);
                    assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(vector), "vector n=" + n);
                    total++;
                    if (Float.floatToRawIntBits(want) != Float.floatToRawIntBits(Q8_0Kernel.SCALAR.dot(w, 3, x, 1, n))) {
                        differing++;
                    }
                }
            }
        }
        assertTrue(differing > total / 10, "the two orders differ on " + differing + " of " + total + " rows");
    }

    private static int quant(MemorySegment q, int j) {
        return q.get(ValueLayout.JAVA_BYTE, 2 + j);
    }

    /** Quant of element {@code i} of a row at {@code offset}. */
    private static int quant(MemorySegment q, long offset, int i) {
        return q.get(ValueLayout.JAVA_BYTE, offset + (long) i / BLOCK * BYTES + 2 + i % BLOCK);
    }
}
