package dev.petrel.quant.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.petrel.api.weights.TensorType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The batched form: a block of weight rows times a batch of activation rows gives, bit for bit,
 * what the single-row dot product gives for each pair, in both output forms, for batch sizes
 * on both sides of the four-token groups.
 */
class MatmulTest {

    @ParameterizedTest
    @EnumSource(value = TensorType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0"})
    void matmul_equalsDotForEveryRowAndToken(TensorType type) {
        Random random = new Random(100 + type.ordinal());
        try (Arena arena = Arena.ofConfined()) {
            for (QuantKernel k : new QuantKernel[] {QuantKernel.vector(type), QuantKernel.scalar(type)}) {
                for (int n : type.isBlockQuantized() ? new int[] {32, 96, 1024} : new int[] {5, 64, 1000}) {
                    int rows = 5;
                    int tokens = 11; // two groups of four and three single rows
                    long rowBytes = k.rowBytes(n);
                    long xBytes = k.activationBytes(n);
                    MemorySegment w = arena.allocate(rows * rowBytes + 1);
                    MemorySegment x = arena.allocate(tokens * xBytes + 2);
                    for (int r = 0; r < rows; r++) {
                        k.quantize(Rows.gaussian(random, n, 0.05), 0, w, 1 + r * rowBytes, n);
                    }
                    for (int t = 0; t < tokens; t++) {
                        k.quantizeActivations(Rows.gaussian(random, n, 2), 0, x, 2 + t * xBytes, n);
                    }
                    int stride = rows + 3;
                    float[] out = new float[4 + tokens * stride];
                    Arrays.fill(out, Float.NaN);
                    k.matmul(w, 1, rows, x, 2, tokens, out, 4, stride, n);
                    MemorySegment outSegment = arena.allocate(8 + 4L * tokens * stride);
                    k.matmul(w, 1, rows, x, 2, tokens, outSegment, 8, 4L * stride, n);
                    for (int r = 0; r < rows; r++) {
                        for (int t = 0; t < tokens; t++) {
                            float expected = k.dot(w, 1 + r * rowBytes, x, 2 + t * xBytes, n);
                            String where = k + " n=" + n + " row " + r + " token " + t;
                            assertEquals(Float.floatToRawIntBits(expected),
                                    Float.floatToRawIntBits(out[4 + t * stride + r]), where);
                            assertEquals(Float.floatToRawIntBits(expected),
                                    Float.floatToRawIntBits(outSegment.get(Rows.FLOAT_LE, 8 + 4L * (t * stride + r))),
                                    where + " (segment)");
                        }
                    }
                    for (int i = 0; i < out.length; i++) {
                        if (i < 4 || (i - 4) % stride >= rows) {
                            assertEquals(Float.NaN, out[i], "untouched " + i);
                        }
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = TensorType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0"})
    void matmul_readsWeightsFromHeapSegments(TensorType type) {
        Random random = new Random(200 + type.ordinal());
        QuantKernel k = QuantKernel.vector(type);
        int n = 256;
        MemorySegment w = MemorySegment.ofArray(new byte[(int) k.rowBytes(n) * 2]);
        MemorySegment x = MemorySegment.ofArray(new byte[(int) k.activationBytes(n) * 4]);
        for (int r = 0; r < 2; r++) {
            k.quantize(Rows.gaussian(random, n, 0.05), 0, w, r * k.rowBytes(n), n);
        }
        for (int t = 0; t < 4; t++) {
            k.quantizeActivations(Rows.gaussian(random, n, 1), 0, x, t * k.activationBytes(n), n);
        }
        float[] out = new float[8];
        k.matmul(w, 0, 2, x, 0, 4, out, 0, 2, n);
        QuantKernel ref = QuantKernel.scalar(type);
        for (int r = 0; r < 2; r++) {
            for (int t = 0; t < 4; t++) {
                float expected = ref.dot(w, r * k.rowBytes(n), x, t * k.activationBytes(n), n);
                assertEquals(expected, out[t * 2 + r], 1e-5f * Math.max(1, Math.abs(expected)));
            }
        }
    }
}
