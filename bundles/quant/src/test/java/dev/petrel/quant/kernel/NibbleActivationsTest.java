package dev.petrel.quant.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The lay-out of {@link NibbleActivations} against the layout its class comment
 * defines, written out value by value, on random Q8_0 blocks (and blocks that hold -128).
 */
class NibbleActivationsTest {

    private static final int GROUP = NibbleActivations.GROUP;

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 7, 64})
    void layOut_equalsTheDefinition(int blocks) {
        Assumptions.assumeTrue(GROUP > 0, "no interleaved layout below 256-bit vectors");
        Random random = new Random(blocks);
        for (boolean withMinimum : new boolean[] {false, true}) {
            try (Arena arena = Arena.ofConfined()) {
                // one block more than laid out, and an offset, so reading past the row would show
                MemorySegment x = arena.allocate((long) (blocks + 1) * Q8_0Kernel.BLOCK_BYTES + 3);
                long offset = 3;
                byte[][] values = new byte[blocks][Q8_0Kernel.BLOCK];
                short[] halfScales = new short[blocks];
                for (int b = 0; b < blocks; b++) {
                    long at = offset + (long) b * Q8_0Kernel.BLOCK_BYTES;
                    halfScales[b] = Float.floatToFloat16(0.001f + random.nextFloat());
                    x.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), at,
                            halfScales[b]);
                    for (int j = 0; j < Q8_0Kernel.BLOCK; j++) {
                        values[b][j] = (byte) (random.nextInt(255) - 127); // -127..127
                        x.set(ValueLayout.JAVA_BYTE, at + 2 + j, values[b][j]);
                    }
                }
                if (withMinimum) {
                    int b = random.nextInt(blocks), j = random.nextInt(Q8_0Kernel.BLOCK);
                    values[b][j] = Byte.MIN_VALUE;
                    x.set(ValueLayout.JAVA_BYTE, offset + (long) b * Q8_0Kernel.BLOCK_BYTES + 2 + j, Byte.MIN_VALUE);
                }
                short[] pairs = new short[blocks * NibbleActivations.PAIR_SHORTS_PER_BLOCK];
                short[] biases = new short[blocks * 2 * GROUP];
                float[] scales = new float[blocks];
                boolean exact = NibbleActivations.layOut(x, offset, blocks, pairs, biases, scales);

                short[] expectedPairs = new short[pairs.length];
                short[] expectedBiases = new short[biases.length];
                float[] expectedScales = new float[blocks];
                for (int b = 0; b < blocks; b++) {
                    byte[] q = values[b];
                    expectedScales[b] = Float.float16ToFloat(halfScales[b]);
                    int sum = 0;
                    for (byte v : q) {
                        sum += v;
                    }
                    for (int l = 0; l < GROUP; l++) {
                        expectedBiases[b * 2 * GROUP + l] = (short) (-8 * sum);
                    }
                    for (int i = 0; i < 8; i++) {
                        int o = b * NibbleActivations.PAIR_SHORTS_PER_BLOCK + i * 4 * GROUP;
                        for (int l = 0; l < GROUP; l++) {
                            expectedPairs[o + l] = q[2 * i];
                            expectedPairs[o + GROUP + l] = q[2 * i + 1];
                            expectedPairs[o + 2 * GROUP + l] = (short) (q[16 + 2 * i] - 16 * q[2 * i]);
                            expectedPairs[o + 3 * GROUP + l] = (short) (q[17 + 2 * i] - 16 * q[2 * i + 1]);
                        }
                    }
                }
                assertArrayEquals(expectedPairs, pairs, blocks + " blocks: pairs");
                assertArrayEquals(expectedBiases, biases, blocks + " blocks: biases");
                assertArrayEquals(expectedScales, scales, blocks + " blocks: scales");
                assertEquals(!withMinimum, exact, blocks + " blocks: exactness");
            }
        }
    }
}
