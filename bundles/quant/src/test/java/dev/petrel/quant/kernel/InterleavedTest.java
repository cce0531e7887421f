package dev.petrel.quant.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.petrel.api.weights.TensorType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The row-interleaved layouts: for every row and token, bit for bit what the scalar reference
 * dot product gives, for row ranges that start and end inside groups, weights whose row count
 * is not a multiple of the group, passes over one to five groups, several blocks per row and
 * one to thirteen tokens (two six-token passes and what is left).
 */
class InterleavedTest {

    @ParameterizedTest
    @EnumSource(value = TensorType.class, names = {"Q8_0", "Q4_0"})
    void matmul_equalsScalarDotForEveryRowAndToken(TensorType type) {
        boolean q8 = type == TensorType.Q8_0;
        int group = q8 ? Q8_0Interleaved.GROUP : Q4_0Interleaved.GROUP;
        assumeTrue(group > 0, "vectors narrower than 256 bits");
        QuantKernel k = QuantKernel.scalar(type);
        Random random = new Random(300 + type.ordinal());
        try (Arena arena = Arena.ofConfined()) {
            for (int n : new int[] {32, 96, 320}) {
                int totalRows = 5 * group + 5; // five groups: passes of four, of two and of one
                long rowBytes = k.rowBytes(n);
                long xBytes = k.activationBytes(n);
                MemorySegment w = arena.allocate(totalRows * rowBytes);
                for (int r = 0; r < totalRows; r++) {
                    k.quantize(Rows.gaussian(random, n, 0.05), 0, w, r * rowBytes, n);
                }
                if (q8) { // the quantizer never writes -128: put some in
                    for (int i = 0; i < 20; i++) {
                        long block = random.nextLong(totalRows * rowBytes / Q8_0Kernel.BLOCK_BYTES);
                        w.set(ValueLayout.JAVA_BYTE, block * Q8_0Kernel.BLOCK_BYTES + 2 + random.nextInt(32), (byte) -128);
                    }
                }
                MemorySegment packed = q8 ? Q8_0Interleaved.repack(w, 0, totalRows, n, arena)
                        : Q4_0Interleaved.repack(w, 0, totalRows, n, arena);
                for (int tokens = 1; tokens <= 13; tokens++) {
                    MemorySegment x = arena.allocate(tokens * xBytes + 3);
                    for (int t = 0; t < tokens; t++) {
                        k.quantizeActivations(Rows.gaussian(random, n, 2), 0, x, 3 + t * xBytes, n);
                    }
                    int[][] ranges = {{0, totalRows}, {3, totalRows - 3}, {group, group}, {group, 4 * group}, {1, group + 2},
                            {0, 2}};
                    for (int[] range : ranges) {
                        int first = range[0], rows = range[1];
                        int stride = rows + 2;
                        float[] out = new float[1 + tokens * stride];
                        Arrays.fill(out, Float.NaN);
                        MemorySegment outSegment = arena.allocate(4 + 4L * tokens * stride);
                        if (q8) {
                            Q8_0Interleaved.matmul(w, packed, first, rows, x, 3, tokens, out, 1, stride, n);
                            Q8_0Interleaved.matmul(w, packed, first, rows, x, 3, tokens, outSegment, 4, 4L * stride, n);
                        } else {
                            Q4_0Interleaved.matmul(w, packed, first, rows, x, 3, tokens, out, 1, stride, n);
                            Q4_0Interleaved.matmul(w, packed, first, rows, x, 3, tokens, outSegment, 4, 4L * stride, n);
                        }
                        for (int r = 0; r < rows; r++) {
                            for (int t = 0; t < tokens; t++) {
                                float expected = k.dot(w, (first + r) * rowBytes, x, 3 + t * xBytes, n);
                                String where = type + " n=" + n + " rows [" + first + ", +" + rows + ") row " + r
                                        + " token " + t + " of " + tokens;
                                assertEquals(Float.floatToRawIntBits(expected),
                                        Float.floatToRawIntBits(out[1 + t * stride + r]), where);
                                assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(
                                        outSegment.get(Rows.FLOAT_LE, 4 + 4L * (t * stride + r))), where + " (segment)");
                            }
                        }
                        for (int i = 0; i < out.length; i++) {
                            if (i < 1 || (i - 1) % stride >= rows) {
                                assertEquals(Float.NaN, out[i], "untouched " + i);
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * Q4_0 blocks whose sums reach the ends of what the 16-bit kernel holds: every weight at
     * nibble 0 or 15 against activations at +127 or -127 (block sums of -32512 and more), and
     * activations at -128 (written only for NaN or infinite inputs), where a 16-bit sum would
     * overflow and the plain kernel must take over. One token (the 16-bit path) and seven (a
     * six-token pass and one overlapping it), bit for bit against the scalar dot.
     */
    @Test
    void q4_0_extremeBlockSums_equalScalarDot() {
        int group = Q4_0Interleaved.GROUP;
        assumeTrue(group > 0, "vectors narrower than 256 bits");
        QuantKernel k = QuantKernel.scalar(TensorType.Q4_0);
        int n = 64;
        int rows = 5 * group;
        long rowBytes = k.rowBytes(n);
        long xBytes = k.activationBytes(n);
        byte[] weightBytes = {0x00, (byte) 0xFF, 0x0F, (byte) 0xF0};
        byte[] activations = {127, -127, -128};
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment w = arena.allocate(rows * rowBytes);
            for (int r = 0; r < rows; r++) {
                for (int b = 0; b < n / 32; b++) {
                    long block = r * rowBytes + b * 18L;
                    w.set(Rows.SHORT_LE, block, Float.floatToFloat16(0.5f + r / 64f));
                    for (int j = 0; j < 16; j++) {
                        w.set(ValueLayout.JAVA_BYTE, block + 2 + j, weightBytes[(r + b) % weightBytes.length]);
                    }
                }
            }
            MemorySegment packed = Q4_0Interleaved.repack(w, 0, rows, n, arena);
            for (byte value : activations) {
                for (int tokens : new int[] {1, 7}) {
                    MemorySegment x = arena.allocate(tokens * xBytes);
                    for (int t = 0; t < tokens; t++) {
                        for (int b = 0; b < n / 32; b++) {
                            long block = t * xBytes + b * 34L;
                            x.set(Rows.SHORT_LE, block, Float.floatToFloat16(0.25f));
                            for (int j = 0; j < 32; j++) {
                                x.set(ValueLayout.JAVA_BYTE, block + 2 + j, value);
                            }
                        }
                    }
                    assertQ4_0MatmulEqualsScalarDot(w, packed, rows, x, tokens, n, "activations " + value);
                }
            }
        }
    }

    /**
     * The repacked Q4_0 copy keeps the weights' F16 scales and widens them in the kernels: every
     * kind of finite half (subnormal, the smallest, zero of either sign, the largest) gives what
     * the scalar reference gives, for one token (the 16-bit path) and seven (six-token passes).
     * A weight with an infinite or NaN scale in any of its groups is not repacked (the one-token
     * pass widens scales without those cases), so it stays with the plain kernel.
     */
    @Test
    void q4_0_everyKindOfScale_equalsScalarDot() {
        int group = Q4_0Interleaved.GROUP;
        assumeTrue(group > 0, "vectors narrower than 256 bits");
        QuantKernel k = QuantKernel.scalar(TensorType.Q4_0);
        short[] halves = {0x0001, 0x03FF, 0x0400, 0x0000, (short) 0x8000, 0x3C00, (short) 0xB555, 0x7BFF,
                (short) 0xFBFF, 0x1234, (short) 0x8001, (short) 0x83FF};
        short[] nonFinite = {0x7C00, (short) 0xFC00, 0x7E00, 0x7C01, (short) 0xFE01};
        int n = 96;
        int rows = 5 * group;
        long rowBytes = k.rowBytes(n);
        long xBytes = k.activationBytes(n);
        Random random = new Random(77);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment w = arena.allocate(rows * rowBytes);
            for (int r = 0; r < rows; r++) {
                k.quantize(Rows.gaussian(random, n, 0.05), 0, w, r * rowBytes, n);
                for (int b = 0; b < n / 32; b++) { // mostly ordinary scales, a special one in some blocks
                    if (random.nextInt(4) == 0) {
                        w.set(Rows.SHORT_LE, r * rowBytes + b * 18L, halves[random.nextInt(halves.length)]);
                    }
                }
            }
            MemorySegment packed = Q4_0Interleaved.repack(w, 0, rows, n, arena);
            for (int tokens : new int[] {1, 7}) {
                MemorySegment x = arena.allocate(tokens * xBytes);
                for (int t = 0; t < tokens; t++) {
                    k.quantizeActivations(Rows.gaussian(random, n, 2), 0, x, t * xBytes, n);
                }
                assertQ4_0MatmulEqualsScalarDot(w, packed, rows, x, tokens, n, "scales of every kind");
            }
            for (short half : nonFinite) {
                long block = random.nextLong(rows * rowBytes / Q4_0Kernel.BLOCK_BYTES);
                short kept = w.get(Rows.SHORT_LE, block * Q4_0Kernel.BLOCK_BYTES);
                w.set(Rows.SHORT_LE, block * Q4_0Kernel.BLOCK_BYTES, half);
                assertNull(Q4_0Interleaved.repack(w, 0, rows, n, arena),
                        "a scale of 0x" + Integer.toHexString(half & 0xFFFF) + " in block " + block);
                w.set(Rows.SHORT_LE, block * Q4_0Kernel.BLOCK_BYTES, kept);
            }
        }
    }

    /**
     * The repacked Q4_0 matmul of all {@code rows} rows against {@code tokens} tokens gives the
     * scalar reference's dot for each, bit for bit.
     */
    private static void assertQ4_0MatmulEqualsScalarDot(MemorySegment w, MemorySegment packed, int rows,
            MemorySegment x, int tokens, int n, String what) {
        QuantKernel k = QuantKernel.scalar(TensorType.Q4_0);
        long rowBytes = k.rowBytes(n);
        long xBytes = k.activationBytes(n);
        float[] out = new float[tokens * rows];
        Q4_0Interleaved.matmul(w, packed, 0, rows, x, 0, tokens, out, 0, rows, n);
        for (int t = 0; t < tokens; t++) {
            for (int r = 0; r < rows; r++) {
                float expected = k.dot(w, r * rowBytes, x, t * xBytes, n);
                float actual = out[t * rows + r];
                assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(actual),
                        what + ": row " + r + ", token " + t + " of " + tokens + ", expected " + expected);
            }
        }
    }

    /**
     * A thread keeps the last token it laid out for the one-token kernels and reuses it when the
     * next call brings the same bytes: a row rewritten in place, down to its last byte or its
     * scale, must be laid out anew.
     */
    @ParameterizedTest
    @EnumSource(value = TensorType.class, names = {"Q8_0", "Q4_0"})
    void oneTokenMatmul_activationsRewrittenInPlace_useTheNewValues(TensorType type) {
        boolean q8 = type == TensorType.Q8_0;
        int group = q8 ? Q8_0Interleaved.GROUP : Q4_0Interleaved.GROUP;
        assumeTrue(group > 0, "vectors narrower than 256 bits");
        QuantKernel k = QuantKernel.scalar(type);
        Random random = new Random(77);
        int n = 96;
        int rows = 4 * group + 1;
        long rowBytes = k.rowBytes(n);
        long xBytes = k.activationBytes(n);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment w = arena.allocate(rows * rowBytes);
            for (int r = 0; r < rows; r++) {
                k.quantize(Rows.gaussian(random, n, 0.05), 0, w, r * rowBytes, n);
            }
            MemorySegment packed = q8 ? Q8_0Interleaved.repack(w, 0, rows, n, arena)
                    : Q4_0Interleaved.repack(w, 0, rows, n, arena);
            MemorySegment x = arena.allocate(xBytes);
            k.quantizeActivations(Rows.gaussian(random, n, 2), 0, x, 0, n);
            long[] rewrites = {-1, xBytes - 1, xBytes - 34, 1, -1};
            for (long at : rewrites) {
                if (at >= 0) {
                    x.set(ValueLayout.JAVA_BYTE, at, (byte) (x.get(ValueLayout.JAVA_BYTE, at) ^ 0x05));
                }
                float[] out = new float[rows];
                if (q8) {
                    Q8_0Interleaved.matmul(w, packed, 0, rows, x, 0, 1, out, 0, rows, n);
                } else {
                    Q4_0Interleaved.matmul(w, packed, 0, rows, x, 0, 1, out, 0, rows, n);
                }
                for (int r = 0; r < rows; r++) {
                    float expected = k.dot(w, r * rowBytes, x, 0, n);
                    assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(out[r]),
                            type + " row " + r + " after rewriting byte " + at);
                }
            }
        }
    }
}
