package dev.petrel.kernels.java;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.petrel.api.kernel.BufferUsage;
import dev.petrel.api.kernel.ComputeStream;
import dev.petrel.api.kernel.KernelBackend;
import dev.petrel.api.kernel.RopeParams;
import dev.petrel.api.kernel.Tensor;
import dev.petrel.api.weights.TensorType;
import dev.petrel.quant.kernel.QuantKernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * The Vector API backend computes every output element on one thread in a fixed order, so its
 * results are the same bits whatever the thread count and however many sessions share it.
 */
class DeterminismTest {

    private static final int N = 256;
    private static final int ROWS = 96;
    private static final int TOKENS = 5;

    @Test
    void results_doNotDependOnTheThreadCount() {
        assertArrayEquals(step(1), step(3));
    }

    @Test
    void concurrentSessions_getTheResultsOfALoneSession() throws Exception {
        float[] alone = step(2);
        VectorKernelBackend backend = VectorKernelBackend.standalone(2);
        ExecutorService sessions = Executors.newFixedThreadPool(4);
        try (Arena arena = Arena.ofShared()) {
            Tensor w = backend.uploadWeights("w", TensorType.Q8_0, new long[] {N, ROWS}, weights(arena));
            List<Future<float[]>> results = new ArrayList<>();
            for (int s = 0; s < 4; s++) {
                results.add(sessions.submit(() -> {
                    float[] last = null;
                    for (int repeat = 0; repeat < 20; repeat++) {
                        last = forward(backend, w);
                    }
                    return last;
                }));
            }
            for (Future<float[]> result : results) {
                assertArrayEquals(alone, result.get());
            }
            w.close();
        } finally {
            sessions.shutdown();
            backend.shutdown(Duration.ZERO);
        }
    }

    private static float[] step(int threads) {
        VectorKernelBackend backend = VectorKernelBackend.standalone(threads);
        try (Arena arena = Arena.ofShared()) {
            Tensor w = backend.uploadWeights("w", TensorType.Q8_0, new long[] {N, ROWS}, weights(arena));
            float[] out = forward(backend, w);
            w.close();
            return out;
        } finally {
            backend.shutdown(Duration.ZERO);
        }
    }

    /** A matmul, an RMS norm, a RoPE and an attention over the result: a slice of a forward pass. */
    private static float[] forward(KernelBackend backend, Tensor w) {
        try (ComputeStream stream = backend.openStream()) {
            Tensor x = stream.scratch("x", TensorType.F32, N, TOKENS);
            float[] input = gaussian(N * TOKENS, 5);
            stream.write(MemorySegment.ofArray(input), x);
            Tensor y = stream.scratch("y", TensorType.F32, ROWS, TOKENS);
            stream.matmul(w, x, y);
            stream.rmsNorm(y, null, 1e-6f, y);
            Tensor heads = y.reshape(32, 3, TOKENS);
            stream.rope(heads, 0, 0, RopeParams.of(RopeParams.Mode.NEOX, 32, 10000f), null, heads);
            Tensor cache = backend.allocate("kv", BufferUsage.CACHE, TensorType.F16, 32, 3, TOKENS);
            stream.copy(heads, cache);
            Tensor out = stream.scratch("out", TensorType.F32, 32, 3, TOKENS);
            stream.attention(heads, cache, cache, 32, 0.17f, 0, out);
            float[] result = stream.readFloats(out);
            cache.close();
            return result;
        }
    }

    private static MemorySegment weights(Arena arena) {
        MemorySegment data = arena.allocate(TensorType.Q8_0.rowBytes(N) * ROWS);
        float[] values = gaussian(N * ROWS, 9);
        for (int r = 0; r < ROWS; r++) {
            QuantKernel.scalar(TensorType.Q8_0).quantize(values, r * N, data, r * TensorType.Q8_0.rowBytes(N), N);
        }
        return data;
    }

    private static float[] gaussian(int n, long seed) {
        Random random = new Random(seed);
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }
}
