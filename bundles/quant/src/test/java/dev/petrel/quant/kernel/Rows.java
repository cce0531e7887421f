package dev.petrel.quant.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

/** Test rows: random data in each format, written into native or heap segments. */
final class Rows {

    static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Unit roundoff of F32. */
    static final double U = 0x1p-24;
    /** Lengths that cover one block, several, tails after whole vectors, and a model-sized row. */
    static final int[] FLOAT_LENGTHS = {1, 7, 16, 31, 32, 33, 100, 257, 1024, 4096 + 5};
    static final int[] BLOCK_LENGTHS = {32, 64, 96, 160, 1024, 4096};

    private Rows() {
    }

    /** Gaussian floats, none zero. */
    static float[] gaussian(Random random, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            float f;
            do {
                f = (float) (random.nextGaussian() * scale);
            } while (f == 0f);
            v[i] = f;
        }
        return v;
    }

    /** Random int8 block quants (all of [-128, 127] when {@code withMin}) with an F16 scale of 1. */
    static void unitScaleBlocks(Random random, MemorySegment s, long offset, int blocks, int blockBytes,
            boolean nibbles, boolean withMin) {
        for (int b = 0; b < blocks; b++) {
            long block = offset + (long) b * blockBytes;
            s.set(SHORT_LE, block, Float.floatToFloat16(1f));
            for (int j = 2; j < blockBytes; j++) {
                int q = nibbles ? random.nextInt(256) : withMin ? random.nextInt(256) - 128 : random.nextInt(255) - 127;
                s.set(ValueLayout.JAVA_BYTE, block + j, (byte) q);
            }
        }
    }

    /** Random int8 quants in [-128, 127] (or any byte of nibbles) and random finite F16 scales. */
    static void randomBlocks(Random random, MemorySegment s, long offset, int blocks, int blockBytes) {
        for (int b = 0; b < blocks; b++) {
            long block = offset + (long) b * blockBytes;
            float d = (float) Math.scalb(0.5 + random.nextDouble(), -random.nextInt(12));
            d = random.nextBoolean() ? d : -d;
            s.set(SHORT_LE, block, Float.floatToFloat16(d));
            for (int j = 2; j < blockBytes; j++) {
                s.set(ValueLayout.JAVA_BYTE, block + j, (byte) random.nextInt(256));
            }
        }
    }
}
