package dev.petrel.quant.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** F16 and BF16 scalar conversions against their definitions, over every 16-bit pattern. */
class HalfConversionTest {

    @Test
    void f16ToFloat_isExactForEveryPattern() {
        for (int h = 0; h < 0x10000; h++) {
            short s = (short) h;
            float f = F16Kernel.toFloat(s);
            int exp = h >>> 10 & 0x1F;
            int mant = h & 0x3FF;
            double sign = (h & 0x8000) != 0 ? -1 : 1;
            if (exp == 0x1F && mant != 0) {
                int bits = Float.floatToRawIntBits(f);
                assertTrue(Float.isNaN(f), "NaN for " + Integer.toHexString(h));
                assertEquals(0x0040_0000, bits & 0x0040_0000, "NaN made quiet: " + Integer.toHexString(h));
                assertEquals(mant << 13 | 0x0040_0000, bits & 0x007F_FFFF, "payload kept: " + Integer.toHexString(h));
            } else if (exp == 0x1F) {
                assertEquals(sign * Double.POSITIVE_INFINITY, f, 0.0);
            } else {
                double expected = exp == 0 ? sign * mant * 0x1p-24 : sign * (1024 + mant) * Math.scalb(1.0, exp - 25);
                assertEquals(expected, f, 0.0, Integer.toHexString(h));
                assertEquals(Double.doubleToRawLongBits(expected) >>> 63, (long) (Float.floatToRawIntBits(f) >>> 31),
                        "sign of zero");
            }
        }
    }

    @Test
    void f16FromFloat_roundsToNearestEvenForEveryPattern() {
        for (int h = 0; h < 0x7C00; h++) {
            short lo = (short) h;
            float value = F16Kernel.toFloat(lo);
            assertEquals(lo, F16Kernel.fromFloat(value), "round trip " + Integer.toHexString(h));
            assertEquals((short) (h | 0x8000), F16Kernel.fromFloat(-value), "negative " + Integer.toHexString(h));
            // halfway to the next pattern: ties go to the even one; just above or below: nearest
            double next = h + 1 < 0x7C00 ? F16Kernel.toFloat((short) (h + 1)) : 65536.0;
            float mid = (float) ((value + next) / 2);
            short even = (short) ((h & 1) == 0 ? h : h + 1);
            assertEquals(even, F16Kernel.fromFloat(mid), "tie above " + Integer.toHexString(h));
            assertEquals(lo, F16Kernel.fromFloat(Math.nextDown(mid)), "below tie " + Integer.toHexString(h));
            assertEquals((short) (h + 1), F16Kernel.fromFloat(Math.nextUp(mid)), "above tie " + Integer.toHexString(h));
        }
        assertEquals((short) 0x7C00, F16Kernel.fromFloat(1e9f), "overflow to infinity");
        assertEquals((short) 0xFC00, F16Kernel.fromFloat(Float.NEGATIVE_INFINITY));
        assertEquals((short) 0x7E00, F16Kernel.fromFloat(Float.intBitsToFloat(0x7F80_0001)), "canonical NaN");
        assertEquals((short) 0xFE00, F16Kernel.fromFloat(Float.intBitsToFloat(0xFFC1_2345)), "NaN keeps its sign");
        assertEquals((short) 0x7E01, F16Kernel.fromFloatF16c(Float.intBitsToFloat(0x7F80_2001)), "F16C keeps payload");
    }

    @Test
    void bf16ToFloat_isUpperHalfOfF32() {
        for (int h = 0; h < 0x10000; h++) {
            assertEquals(h << 16, Float.floatToRawIntBits(BF16Kernel.toFloat((short) h)));
        }
    }

    @Test
    void bf16FromFloat_roundsToNearestEvenAndQuietsNaN() {
        for (int h = 0; h < 0x7F80; h++) {
            int bits = h << 16;
            assertEquals((short) h, BF16Kernel.fromFloat(Float.intBitsToFloat(bits)), "exact " + h);
            short even = (short) ((h & 1) == 0 ? h : h + 1);
            assertEquals(even, BF16Kernel.fromFloat(Float.intBitsToFloat(bits | 0x8000)), "tie " + h);
            assertEquals((short) h, BF16Kernel.fromFloat(Float.intBitsToFloat(bits | 0x7FFF)), "below tie " + h);
            assertEquals((short) (h + 1), BF16Kernel.fromFloat(Float.intBitsToFloat(bits | 0x8001)), "above tie " + h);
            assertEquals((short) (h | 0x8000), BF16Kernel.fromFloat(Float.intBitsToFloat(bits | 0x8000_0000)));
        }
        assertEquals((short) 0x7F80, BF16Kernel.fromFloat(Float.intBitsToFloat(0x7F7F_FFFF)), "overflow to infinity");
        assertEquals((short) 0x0001, BF16Kernel.fromFloat(Float.intBitsToFloat(0x0000_8001)), "subnormals kept");
        assertEquals((short) 0x7FC0, BF16Kernel.fromFloat(Float.intBitsToFloat(0x7F80_0001)),
                "signalling NaN made quiet");
        assertEquals((short) 0xFFC1, BF16Kernel.fromFloat(Float.intBitsToFloat(0xFF81_0000)), "payload and sign kept");
    }
}
