package dev.petrel.quant.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.petrel.api.quant.BlockScales;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** FP8 E4M3: decoding of every code, encoding, and the block-scaled dot products. */
class F8E4M3KernelTest {

    /**
     * E4M3 from its definition: sign, 4 exponent bits with bias 7, 3 mantissa bits; exponent 0
     * is subnormal (mantissa / 8 × 2^-6); no infinities; S.1111.111 is NaN.
     */
    static double reference(int code) {
        int sign = code >> 7 & 1;
        int exponent = code >> 3 & 0xF;
        int mantissa = code & 7;
        if (exponent == 15 && mantissa == 7) {
            return Double.NaN;
        }
        double magnitude = exponent == 0
                ? mantissa / 8.0 * Math.pow(2, -6)
                : (1 + mantissa / 8.0) * Math.pow(2, exponent - 7);
        return sign == 1 ? -magnitude : magnitude;
    }

    private static final double[] REFERENCE = new double[256];

    static {
        for (int c = 0; c < 256; c++) {
            REFERENCE[c] = reference(c);
        }
    }

    @Test
    void everyCode_decodesAsTheDefinitionSays_scalarAndVector() {
        byte[] all = new byte[256];
        for (int c = 0; c < 256; c++) {
            all[c] = (byte) c;
        }
        float[] vector = new float[256];
        float[] scalar = new float[256];
        F8E4M3Kernel.VECTOR.dequantize(MemorySegment.ofArray(all), 0, vector, 0, 256);
        F8E4M3Kernel.SCALAR.dequantize(MemorySegment.ofArray(all), 0, scalar, 0, 256);
        int nans = 0;
        for (int c = 0; c < 256; c++) {
            double want = reference(c);
            if (Double.isNaN(want)) {
                nans++;
                assertTrue(Float.isNaN(vector[c]) && Float.isNaN(scalar[c]), "code 0x" + Integer.toHexString(c));
                continue;
            }
            String what = "code 0x" + Integer.toHexString(c);
            assertEquals(Double.doubleToRawLongBits(want), Double.doubleToRawLongBits(scalar[c]), what + " scalar");
            assertEquals(Double.doubleToRawLongBits(want), Double.doubleToRawLongBits(vector[c]), what + " vector");
            assertEquals(Double.doubleToRawLongBits(want), Double.doubleToRawLongBits(F8E4M3Kernel.toFloat((byte) c)),
                    what);
        }
        assertEquals(2, nans, "0x7F and 0xFF");
        assertEquals(448.0, reference(0x7E));
        assertEquals(Math.pow(2, -9), reference(0x01));
    }

    @Test
    void everyFiniteCode_encodesBackToItself() {
        for (int c = 0; c < 256; c++) {
            double v = reference(c);
            if (Double.isNaN(v)) {
                assertEquals(0x7F, F8E4M3Kernel.fromFloat(Float.NaN));
                continue;
            }
            if (v == 0 && c == 0x80) {
                assertEquals((byte) 0x80, F8E4M3Kernel.fromFloat(-0f));
                continue;
            }
            assertEquals((byte) c, F8E4M3Kernel.fromFloat((float) v), "code 0x" + Integer.toHexString(c));
        }
    }

    @Test
    void encoding_roundsToNearestEven_andSaturates() {
        Random random = new Random(3);
        for (int i = 0; i < 20_000; i++) {
            float f = (float) (random.nextGaussian() * Math.scalb(1.0, random.nextInt(24) - 12));
            byte got = F8E4M3Kernel.fromFloat(f);
            double clamped = Math.max(-448, Math.min(448, f));
            // the nearest finite code; on a tie the one with an even mantissa
            int best = -1;
            for (int c = 0; c < 256; c++) {
                double v = REFERENCE[c];
                if (Double.isNaN(v) || (c == 0x80)) {
                    continue;
                }
                if (best < 0) {
                    best = c;
                    continue;
                }
                double d = Math.abs(v - clamped);
                double bd = Math.abs(REFERENCE[best] - clamped);
                if (d < bd || (d == bd && (c & 1) == 0)) {
                    best = c;
                }
            }
            assertEquals(REFERENCE[best], F8E4M3Kernel.toFloat(got), 0.0, "value " + f);
        }
        assertEquals((byte) 0x7E, F8E4M3Kernel.fromFloat(1e6f));
        assertEquals((byte) 0xFE, F8E4M3Kernel.fromFloat(-500f));
    }

    /** The plain reference: every element dequantized with its scale, products summed in double. */
    private static double referenceDot(byte[] w, int wOffset, float[] x, int n, BlockScales scales, long row) {
        double sum = 0;
        for (int c = 0; c < n; c++) {
            sum += REFERENCE[w[wOffset + c] & 0xFF] * scales.scale(row, c) * x[c];
        }
        return sum;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 17, 128, 200, 256, 1000})
    void scaledMatmul_matchesThePlainReference(int n) {
        Random random = new Random(n);
        int rows = 300;
        int tokens = 3;
        float[] values = Rows.gaussian(random, rows * n, 0.05);
        byte[] weight = new byte[rows * n];
        float[] scales = F8E4M3Kernel.quantizeBlocks(values, 0, rows, n, 128, 128, MemorySegment.ofArray(weight), 0);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment w = arena.allocate(weight.length + 8L);
            MemorySegment.copy(MemorySegment.ofArray(weight), 0, w, 8, weight.length);
            BlockScales block = new BlockScales(MemorySegment.ofArray(scales), 128, 128, rows, n);
            float[][] x = new float[tokens][];
            MemorySegment xs = arena.allocate(4L * n * tokens);
            for (int t = 0; t < tokens; t++) {
                x[t] = Rows.gaussian(random, n, 1);
                MemorySegment.copy(x[t], 0, xs, Rows.FLOAT_LE, 4L * n * t, n);
            }
            for (F8E4M3Kernel k : new F8E4M3Kernel[] {F8E4M3Kernel.SCALAR, F8E4M3Kernel.VECTOR}) {
                MemorySegment out = arena.allocate(4L * rows * tokens);
                k.matmulScaled(w, 8, 0, rows, block, xs, 0, tokens, out, 0, 4L * rows, n);
                float[] outArray = new float[rows * tokens];
                k.matmulScaled(w, 8, 0, rows, block, xs, 0, tokens, outArray, 0, rows, n);
                double err = 0;
                double norm = 0;
                for (int t = 0; t < tokens; t++) {
                    for (int r = 0; r < rows; r++) {
                        double want = referenceDot(weight, r * n, x[t], n, block, r);
                        float got = out.getAtIndex(Rows.FLOAT_LE, (long) t * rows + r);
                        assertEquals(got, outArray[t * rows + r], 0f, "both outputs");
                        assertEquals(got, k.dotScaled(w, 8 + (long) r * n, xs, 4L * n * t, n, block, r), 0f,
                                "matmul equals dot");
                        // |error| bounded by a few roundings of the sum of |terms|
                        double bound = 1e-5 * (1 + absoluteSum(weight, r * n, x[t], n, block, r));
                        assertEquals(want, got, bound, k + " row " + r + " token " + t);
                        err += (want - got) * (want - got);
                        norm += want * want;
                    }
                }
                assertTrue(err / norm < 1e-10, k + " NMSE " + err / norm);
            }
        }
    }

    private static double absoluteSum(byte[] w, int wOffset, float[] x, int n, BlockScales scales, long row) {
        double sum = 0;
        for (int c = 0; c < n; c++) {
            sum += Math.abs(REFERENCE[w[wOffset + c] & 0xFF] * scales.scale(row, c) * x[c]);
        }
        return sum;
    }

    @Test
    void quantizeBlocks_keepsEachBlockWithinItsScale() {
        Random random = new Random(11);
        int rows = 130;
        int n = 260;
        float[] values = Rows.gaussian(random, rows * n, 1);
        byte[] weight = new byte[rows * n];
        float[] scales = F8E4M3Kernel.quantizeBlocks(values, 0, rows, n, 128, 128, MemorySegment.ofArray(weight), 0);
        assertEquals(2 * 3, scales.length);
        BlockScales block = new BlockScales(MemorySegment.ofArray(scales), 128, 128, rows, n);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < n; c++) {
                double back = F8E4M3Kernel.toFloat(weight[r * n + c]) * block.scale(r, c);
                // 3 mantissa bits: relative error at most 2^-4 for normals, absolute 2^-10 × scale below
                assertEquals(values[r * n + c], back, Math.abs(values[r * n + c]) / 16 + block.scale(r, c) * 0x1p-10);
            }
        }
    }

    @Test
    void scaledProducts_needMatchingScales() {
        MemorySegment w = MemorySegment.ofArray(new byte[64]);
        MemorySegment x = MemorySegment.ofArray(new float[64]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> F8E4M3Kernel.SCALAR.dotScaled(w, 0, x, 0, 64, null, 0));
        assertTrue(e.getMessage().contains("block scales are required"), e.getMessage());
        BlockScales other = new BlockScales(MemorySegment.ofArray(new float[1]), 128, 128, 1, 32);
        e = assertThrows(IllegalArgumentException.class, () -> F8E4M3Kernel.VECTOR.dotScaled(w, 0, x, 0, 64, other, 0));
        assertTrue(e.getMessage().contains("rows of 32"), e.getMessage());
        assertEquals(0, w.get(ValueLayout.JAVA_BYTE, 0));
    }
}
