package dev.petrel.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.petrel.api.attention.AttentionConfig;
import dev.petrel.api.attention.AttentionWeights;
import dev.petrel.api.attention.KvCache;
import dev.petrel.api.kernel.BufferUsage;
import dev.petrel.api.kernel.ComputeStream;
import dev.petrel.api.kernel.KernelBackend;
import dev.petrel.api.kernel.RopeParams;
import dev.petrel.api.kernel.Tensor;
import dev.petrel.api.weights.TensorType;
import dev.petrel.kernels.java.ScalarKernelBackend;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class GqaAttentionTest {

    private static final int N = 32;
    private static final int H = 4;
    private static final int HKV = 2;
    private static final int D = 8;
    private static final AttentionConfig CONFIG = new AttentionConfig(N, H, HKV, D, D, (float) (1 / Math.sqrt(D)), 1e-6f,
            RopeParams.of(RopeParams.Mode.NEOX, D, 10000f), null);

    private final ScalarKernelBackend backend = ScalarKernelBackend.standalone();
    private final SplittableRandom random = new SplittableRandom(9);

    @AfterEach
    void stop() {
        backend.shutdown(Duration.ofSeconds(1));
    }

    private Tensor weight(String name, int in, int out) {
        float[] v = new float[in * out];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) ((random.nextDouble() * 2 - 1) / Math.sqrt(in));
        }
        return backend.uploadWeights(name, TensorType.F32, new long[] {in, out}, MemorySegment.ofArray(v));
    }

    private AttentionWeights.Gqa weights() {
        return new AttentionWeights.Gqa(weight("wq", N, H * D), weight("wk", N, HKV * D), weight("wv", N, HKV * D),
                weight("wo", H * D, N), null, null, null, null, null, null, null);
    }

    private float[] input(int tokens) {
        float[] x = new float[N * tokens];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return x;
    }

    private float[] run(ComputeStream stream, AttentionWeights w, KvCache.Layer layer, float[] x, int position0) {
        int tokens = x.length / N;
        Tensor in = stream.scratch("x", TensorType.F32, N, tokens);
        Tensor out = stream.scratch("out", TensorType.F32, N, tokens);
        stream.write(MemorySegment.ofArray(x), in);
        new GqaAttention().forward(stream, CONFIG, w, layer, in, position0, out);
        return stream.readFloats(out);
    }

    @Test
    void createCache_holdsKeysAndValuesPerKvHead() {
        try (KvCache cache = new GqaAttention().createCache(backend, CONFIG, 3, 10, TensorType.F16)) {
            assertEquals(3, cache.layerCount());
            assertArrayEquals(new long[] {D, HKV, 10}, cache.layer(2).keys().dims());
            assertArrayEquals(new long[] {D, HKV, 10}, cache.layer(2).values().dims());
            assertEquals(3L * HKV * 2 * D * 2, cache.bytesPerToken());
            assertEquals(3L * H * 2 * D * 2, cache.mhaEquivalentBytesPerToken());
            assertEquals(3L * HKV * 2 * D * 2 * 10, backend.allocatedBytes(BufferUsage.CACHE));
        }
        assertEquals(0, backend.allocatedBytes(BufferUsage.CACHE));
    }

    @Test
    void createCache_refusesLatentAttention() {
        AttentionConfig mla = new AttentionConfig(N, H, H, 24, 16, 0.2f, 1e-6f,
                RopeParams.of(RopeParams.Mode.NORMAL, 8, 10000f), new AttentionConfig.Mla(0, 16, 16, 8));
        assertThrows(IllegalArgumentException.class, () -> new GqaAttention().createCache(backend, mla, 1, 4, TensorType.F32));
    }

    @Test
    void forward_ofABatch_equalsTokenByToken() {
        AttentionWeights.Gqa w = weights();
        float[] x = input(5);
        try (KvCache batched = new GqaAttention().createCache(backend, CONFIG, 1, 8, TensorType.F32);
                KvCache single = new GqaAttention().createCache(backend, CONFIG, 1, 8, TensorType.F32);
                ComputeStream stream = backend.openStream()) {
            float[] all = run(stream, w, batched.layer(0), x, 0);
            for (int t = 0; t < 5; t++) {
                stream.resetScratch();
                float[] one = run(stream, w, single.layer(0), Arrays.copyOfRange(x, t * N, (t + 1) * N), t);
                for (int i = 0; i < N; i++) {
                    assertEquals(all[t * N + i], one[i], 1e-5, "token " + t);
                }
            }
        }
    }

    @Test
    void forward_pastTheCache_isRejected() {
        AttentionWeights.Gqa w = weights();
        try (KvCache cache = new GqaAttention().createCache(backend, CONFIG, 1, 4, TensorType.F32);
                ComputeStream stream = backend.openStream()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> run(stream, w, cache.layer(0), input(2), 3));
            assertTrue(e.getMessage().contains("[3, 5)"), e.getMessage());
        }
    }

    @Test
    void transferTo_copiesTheFilledPositions() {
        KernelBackend other = ScalarKernelBackend.standalone();
        try (KvCache cache = new GqaAttention().createCache(backend, CONFIG, 2, 6, TensorType.F16);
                ComputeStream stream = backend.openStream()) {
            run(stream, weights(), cache.layer(1), input(3), 0);
            try (KvCache moved = cache.transferTo(other, 2); ComputeStream there = other.openStream()) {
                assertEquals(other, moved.backend());
                float[] keys = readAsFloats(stream, backend, cache.layer(1).keys());
                float[] copied = readAsFloats(there, other, moved.layer(1).keys());
                int filled = 2 * HKV * D;
                assertArrayEquals(Arrays.copyOf(keys, filled), Arrays.copyOf(copied, filled));
                assertTrue(keys[filled] != 0);   // position 2 was written here, not copied
                assertEquals(0, copied[filled]);
            }
        } finally {
            ((ScalarKernelBackend) other).shutdown(Duration.ofSeconds(1));
        }
    }

    private static float[] readAsFloats(ComputeStream stream, KernelBackend backend, Tensor cache) {
        Tensor f32 = stream.scratch("f32", TensorType.F32, cache.dims());
        stream.copy(cache, f32);
        return stream.readFloats(f32);
    }
}
