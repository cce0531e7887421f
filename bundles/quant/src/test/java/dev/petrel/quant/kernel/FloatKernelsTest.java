package dev.petrel.quant.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.petrel.api.weights.TensorType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** F32, F16 and BF16: codecs and the vector dot product against the scalar reference. */
class FloatKernelsTest {

    @ParameterizedTest
    @EnumSource(value = TensorType.class, names = {"F32", "F16", "BF16"})
    void quantizeThenDequantize_roundsEachValueOnce(TensorType type) {
        Random random = new Random(type.ordinal());
        float[] x = Rows.gaussian(random, 1000, 10);
        MemorySegment s = MemorySegment.ofArray(new byte[(int) type.rowBytes(1000) + 1]);
        QuantKernel k = QuantKernel.vector(type);
        k.quantize(x, 0, s, 1, 1000);
        float[] back = new float[1000];
        k.dequantize(s, 1, back, 0, 1000);
        for (int i = 0; i < 1000; i++) {
            float expected = switch (type) {
                case F16 -> Float.float16ToFloat(Float.floatToFloat16(x[i]));
                case BF16 -> BF16Kernel.toFloat(BF16Kernel.fromFloat(x[i]));
                default -> x[i];
            };
            assertEquals(expected, back[i], 0f);
        }
    }

    /** Every F16 bit pattern (infinities, NaNs, subnormals included), at an odd offset and length. */
    @org.junit.jupiter.api.Test
    void f16Dequantize_vectorEqualsScalarOnEveryHalf() {
        int n = 65536 + 3;
        MemorySegment s = MemorySegment.ofArray(new byte[2 * n + 1]);
        for (int i = 0; i < n; i++) {
            s.set(Rows.SHORT_LE, 1 + 2L * i, (short) (i * 40503)); // odd multiplier: every pattern once, shuffled
        }
        float[] vector = new float[n + 1];
        float[] scalar = new float[n + 1];
        F16Kernel.VECTOR.dequantize(s, 1, vector, 1, n);
        F16Kernel.SCALAR.dequantize(s, 1, scalar, 1, n);
        for (int i = 0; i <= n; i++) {
            assertEquals(Float.floatToRawIntBits(scalar[i]), Float.floatToRawIntBits(vector[i]), "element " + i);
        }
    }

    @ParameterizedTest
    @EnumSource(value = TensorType.class, names = {"F32", "F16", "BF16"})
    void quantizeActivations_fromArrayAndSegmentAgree(TensorType type) {
        Random random = new Random(7 + type.ordinal());
        float[] x = Rows.gaussian(random, 333, 5);
        QuantKernel k = QuantKernel.vector(type);
        MemorySegment a = MemorySegment.ofArray(new byte[(int) k.activationBytes(333)]);
        MemorySegment b = MemorySegment.ofArray(new byte[(int) k.activationBytes(333)]);
        MemorySegment src = MemorySegment.ofArray(new byte[4 * 333]);
        MemorySegment.copy(x, 0, src, Rows.FLOAT_LE, 0, 333);
        k.quantizeActivations(x, 0, a, 0, 333);
        k.quantizeActivations(src, 0, b, 0, 333);
        assertEquals(-1, a.mismatch(b));
        MemorySegment w = MemorySegment.ofArray(new byte[(int) k.rowBytes(333)]);
        k.quantize(x, 0, w, 0, 333);
        assertEquals(-1, a.mismatch(w), "no NaN here, so activations are the reference conversion");
    }

    /**
     * Small integers (|w|, |x| at most 15, at most 4096 terms): every product and partial sum is
     * an integer below 2^24, exact in any order, so both kernels must return the exact sum. This
     * catches a skipped, doubled or misplaced element, which a float tolerance might not.
     */
    @ParameterizedTest
    @EnumSource(value = TensorType.class, names = {"F32", "F16", "BF16"})
    void dot_isExactOnSmallIntegers(TensorType type) {
        Random random = new Random(11 + type.ordinal());
        try (Arena arena = Arena.ofConfined()) {
            for (int n : Rows.FLOAT_LENGTHS) {
                float[] w = new float[n];
                float[] x = new float[n];
                long exact = 0;
                for (int i = 0; i < n; i++) {
                    w[i] = random.nextInt(31) - 15;
                    x[i] = random.nextInt(31) - 15;
                    exact += (long) w[i] * (long) x[i];
                }
                QuantKernel k = QuantKernel.vector(type);
                MemorySegment ws = arena.allocate(k.rowBytes(n) + 3);
                MemorySegment xs = arena.allocate(k.activationBytes(n) + 1);
                k.quantize(w, 0, ws, 3, n);
                k.quantizeActivations(x, 0, xs, 1, n);
                assertEquals(exact, QuantKernel.scalar(type).dot(ws, 3, xs, 1, n), 0.0, type + " scalar n=" + n);
                assertEquals(exact, k.dot(ws, 3, xs, 1, n), 0.0, type + " vector n=" + n);
            }
        }
    }

    /**
     * Gaussian values. F16 x F16 and BF16 x BF16 products are exact in F32 (11 + 11 and 8 + 8
     * significant bits), F32 products are rounded once (or fused into the FMA). The reference sums
     * in double (ggml's generic code), the vector kernel in float: one FMA chain per lane
     * (n / lanes terms), a fold of the lanes, the tail added one by one. Higham's bound for
     * that sum is (n / lanes + lanes + 2) * u * sum |w_i x_i|; the reference is within 2u of
     * exact. Observed errors are far smaller (the worst is printed).
     */
    @ParameterizedTest
    @EnumSource(value = TensorType.class, names = {"F32", "F16", "BF16"})
    void dot_vectorAgreesWithReferenceWithinSummationBound(TensorType type) {
        Random random = new Random(23 + type.ordinal());
        QuantKernel vector = QuantKernel.vector(type);
        QuantKernel scalar = QuantKernel.scalar(type);
        double worst = 0;
        try (Arena arena = Arena.ofConfined()) {
            for (int round = 0; round < 10; round++) {
                for (int n : Rows.FLOAT_LENGTHS) {
                    float[] w = Rows.gaussian(random, n, 0.05);
                    float[] x = Rows.gaussian(random, n, 2);
                    MemorySegment ws = arena.allocate(vector.rowBytes(n));
                    MemorySegment xs = arena.allocate(vector.activationBytes(n));
                    vector.quantize(w, 0, ws, 0, n);
                    vector.quantizeActivations(x, 0, xs, 0, n);
                    float[] wq = new float[n];
                    float[] xq = new float[n];
                    vector.dequantize(ws, 0, wq, 0, n);
                    vector.dequantize(xs, 0, xq, 0, n);
                    double exact = 0;
                    double a = 0;
                    for (int i = 0; i < n; i++) {
                        exact += (double) wq[i] * xq[i];
                        a += Math.abs((double) wq[i] * xq[i]);
                    }
                    float ref = scalar.dot(ws, 0, xs, 0, n);
                    float vec = vector.dot(ws, 0, xs, 0, n);
                    int lanes = Simd.F.length();
                    assertEquals(exact, ref, 2 * Rows.U * a + Rows.U * Math.abs(exact), type + " reference n=" + n);
                    assertEquals(exact, vec, (n / lanes + lanes + 2) * Rows.U * a, type + " vector n=" + n);
                    worst = Math.max(worst, Math.abs(vec - ref) / a);
                }
            }
        }
        System.out.printf("%s dot: largest |vector - reference| / sum|w x| = %.3g (u = %.3g)%n", type, worst, Rows.U);
    }
}
