package dev.petrel.kernels.java;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.petrel.api.kernel.BufferUsage;
import dev.petrel.api.kernel.ComputeStream;
import dev.petrel.api.kernel.KernelBackend;
import dev.petrel.api.kernel.Tensor;
import dev.petrel.api.weights.TensorType;
import dev.petrel.kernels.java.vector.VectorKernels;
import dev.petrel.kernels.java.vector.WorkerPool;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The Vector API backend's two attention paths give the same bits: the cache widened to floats
 * once per call, and every row converted per (head, token) as for caches too large to widen.
 * GQA (8 query heads on 2 cache heads), several tokens after earlier positions, random data.
 */
class AttentionPathsTest {

    private static final int DIM = 40;   // not a multiple of the vector lanes: the dots have tails
    private static final int HEADS = 8;
    private static final int KV_HEADS = 2;
    private static final int POSITION0 = 23;
    private static final int TOKENS = 5;

    /** The Vector API kernels with widening switched off. */
    private static final class PerRowBackend extends HostBackend {
        PerRowBackend() {
            super("java-per-row");
            start(new VectorKernels(new WorkerPool("per-row-test", 2), 0), HostDevices.of(2, Set.of("vector-api")));
        }
    }

    @ParameterizedTest
    @EnumSource(value = TensorType.class, names = {"F32", "F16", "BF16"})
    void widenedCache_givesThePerRowBits(TensorType cacheType) {
        VectorKernelBackend widened = VectorKernelBackend.standalone(2);
        PerRowBackend perRow = new PerRowBackend();
        try {
            float[] expected = attention(perRow, cacheType);
            float[] actual = attention(widened, cacheType);
            for (int i = 0; i < expected.length; i++) {
                assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(actual[i]),
                        cacheType + " element " + i);
            }
        } finally {
            widened.shutdown(Duration.ZERO);
            perRow.shutdown(Duration.ZERO);
        }
    }

    private static float[] attention(KernelBackend backend, TensorType cacheType) {
        int positions = POSITION0 + TOKENS;
        try (ComputeStream stream = backend.openStream()) {
            Tensor q = stream.scratch("q", TensorType.F32, DIM, HEADS, TOKENS);
            stream.write(MemorySegment.ofArray(gaussian(DIM * HEADS * TOKENS, 1)), q);
            Tensor kv = stream.scratch("kv", TensorType.F32, DIM, KV_HEADS, positions);
            stream.write(MemorySegment.ofArray(gaussian(DIM * KV_HEADS * positions, 2)), kv);
            Tensor cache = backend.allocate("cache", BufferUsage.CACHE, cacheType, DIM, KV_HEADS, positions);
            stream.copy(kv, cache);
            Tensor out = stream.scratch("out", TensorType.F32, DIM, HEADS, TOKENS);
            stream.attention(q, cache, cache, DIM, 0.3f, POSITION0, out);
            float[] result = stream.readFloats(out);
            cache.close();
            return result;
        }
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
