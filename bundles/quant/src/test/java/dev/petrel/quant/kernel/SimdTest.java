package dev.petrel.quant.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import org.junit.jupiter.api.Test;

/** The lane tricks the kernels rest on, checked on every input they can see. */
class SimdTest {

    @Test
    void halfToFloat_equalsScalarConversionForEveryPattern() {
        MemorySegment halves = MemorySegment.ofArray(new byte[2 * 0x10000]);
        for (int h = 0; h < 0x10000; h++) {
            halves.set(Rows.SHORT_LE, 2L * h, (short) h);
        }
        int lanes = Simd.H.length();
        for (int h = 0; h < 0x10000; h += lanes) {
            FloatVector f = Simd.halfToFloat(ShortVector.fromMemorySegment(Simd.H, halves, 2L * h, Simd.LE));
            FloatVector b = Simd.bf16ToFloat(ShortVector.fromMemorySegment(Simd.H, halves, 2L * h, Simd.LE));
            for (int i = 0; i < lanes; i++) {
                short s = (short) (h + i);
                assertEquals(Float.floatToRawIntBits(F16Kernel.toFloat(s)), Float.floatToRawIntBits(f.lane(i)),
                        "F16 " + Integer.toHexString(h + i));
                assertEquals(Float.floatToRawIntBits(BF16Kernel.toFloat(s)), Float.floatToRawIntBits(b.lane(i)),
                        "BF16 " + Integer.toHexString(h + i));
            }
        }
    }

    @Test
    void pairSums_areExactForEveryShortPair() {
        int lanes = Simd.S.length();
        short[] values = {Short.MIN_VALUE, -32767, -16384, -1, 0, 1, 16383, 16384, Short.MAX_VALUE};
        short[] products = new short[lanes];
        for (short a : values) {
            for (short b : values) {
                for (int i = 0; i < lanes; i += 2) {
                    products[i] = a;
                    products[i + 1] = b;
                }
                IntVector sums = Simd.pairSums(ShortVector.fromArray(Simd.S, products, 0));
                for (int i = 0; i < lanes / 2; i++) {
                    assertEquals(a + b, sums.lane(i), a + " + " + b);
                }
            }
        }
    }

    @Test
    void sum_addsLanesInAFixedOrder() {
        float[] v = new float[Simd.F.length()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (i % 2 == 0 ? 1e8f : 1f) * (i + 1);
        }
        float first = Simd.sum(FloatVector.fromArray(Simd.F, v, 0));
        for (int rep = 0; rep < 20_000; rep++) { // through the interpreter, C1 and C2
            float again = Simd.sum(FloatVector.fromArray(Simd.F, v, 0));
            assertEquals(Float.floatToRawIntBits(first), Float.floatToRawIntBits(again));
        }
        double exact = 0;
        for (float f : v) {
            exact += f;
        }
        assertEquals(exact, first, Math.abs(exact) * v.length * Rows.U);
    }
}
