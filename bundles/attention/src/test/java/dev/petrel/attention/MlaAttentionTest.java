package dev.petrel.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.petrel.api.attention.AttentionConfig;
import dev.petrel.api.attention.AttentionStrategy;
import dev.petrel.api.attention.AttentionWeights;
import dev.petrel.api.attention.KvCache;
import dev.petrel.api.kernel.ComputeStream;
import dev.petrel.api.kernel.KernelBackend;
import dev.petrel.api.kernel.RopeParams;
import dev.petrel.api.kernel.Tensor;
import dev.petrel.api.weights.TensorType;
import dev.petrel.kernels.java.ScalarKernelBackend;
import dev.petrel.kernels.java.VectorKernelBackend;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Both MLA strategies against a plain scalar reference written here from the DeepSeek-V2
 * equations (decompress every key and value, ordinary attention), and against each other.
 */
class MlaAttentionTest {

    private static final int N = 48;       // n_embd
    private static final int H = 4;        // heads
    private static final int R = 24;       // kv_lora_rank
    private static final int DN = 12;      // qk_nope_head_dim
    private static final int DR = 8;       // qk_rope_head_dim
    private static final int DK = DN + DR;
    private static final int DV = 10;      // v_head_dim
    private static final int QR = 20;      // q_lora_rank when compressed
    private static final float EPS = 1e-6f;
    private static final float BASE = 10000f;

    /** Against the reference in double precision: F32 kernels differ by rounding only. */
    private static final double REFERENCE_TOLERANCE = 2e-5;
    /** Naive and absorbed sum the same products in another order. */
    private static final double STRATEGY_TOLERANCE = 2e-5;

    private final ScalarKernelBackend backend = ScalarKernelBackend.standalone();
    private final SplittableRandom random = new SplittableRandom(42);

    @AfterEach
    void stop() {
        backend.shutdown(Duration.ofSeconds(1));
    }

    /** Host copies of one layer's weights, in both MLA layouts. */
    private final class Weights {
        final boolean compressed;
        final float[] wq;
        final float[] wqA;
        final float[] qANorm;
        final float[] wqB;
        final float[] wkvA = matrix(N, R + DR);
        final float[] kvANorm = norm(R);
        final float[] wkvB = matrix(R, H * (DN + DV));
        final float[] wo = matrix(H * DV, N);

        Weights(boolean compressed) {
            this.compressed = compressed;
            this.wq = compressed ? null : matrix(N, H * DK);
            this.wqA = compressed ? matrix(N, QR) : null;
            this.qANorm = compressed ? norm(QR) : null;
            this.wqB = compressed ? matrix(QR, H * DK) : null;
        }

        /** {@code attn_k_b {dn, r, H}}: per head the transposed key part of {@code attn_kv_b}. */
        float[] wkB() {
            float[] kb = new float[DN * R * H];
            for (int h = 0; h < H; h++) {
                for (int i = 0; i < DN; i++) {
                    for (int j = 0; j < R; j++) {
                        kb[i + DN * (j + R * h)] = wkvB[j + R * (h * (DN + DV) + i)];
                    }
                }
            }
            return kb;
        }

        /** {@code attn_v_b {r, dv, H}}: per head the value rows of {@code attn_kv_b}. */
        float[] wvB() {
            float[] vb = new float[R * DV * H];
            for (int h = 0; h < H; h++) {
                for (int e = 0; e < DV; e++) {
                    System.arraycopy(wkvB, R * (h * (DN + DV) + DN + e), vb, R * (e + DV * h), R);
                }
            }
            return vb;
        }

        AttentionWeights.Mla upload(KernelBackend b, boolean naiveLayout, boolean splitLayout) {
            return new AttentionWeights.Mla(
                    wq == null ? null : put(b, "attn_q", wq, N, H * DK),
                    wqA == null ? null : put(b, "attn_q_a", wqA, N, QR),
                    qANorm == null ? null : put(b, "attn_q_a_norm", qANorm, QR),
                    wqB == null ? null : put(b, "attn_q_b", wqB, QR, H * DK),
                    put(b, "attn_kv_a_mqa", wkvA, N, R + DR),
                    put(b, "attn_kv_a_norm", kvANorm, R),
                    naiveLayout ? put(b, "attn_kv_b", wkvB, R, H * (DN + DV)) : null,
                    splitLayout ? put(b, "attn_k_b", wkB(), DN, R, H) : null,
                    splitLayout ? put(b, "attn_v_b", wvB(), R, DV, H) : null,
                    put(b, "attn_output", wo, H * DV, N));
        }
    }

    private float[] matrix(int in, int out) {
        float[] v = new float[in * out];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (random.nextGaussian() / Math.sqrt(in));
        }
        return v;
    }

    private float[] norm(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (1 + 0.2 * random.nextGaussian());
        }
        return v;
    }

    private float[] input(int tokens) {
        float[] x = new float[N * tokens];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        return x;
    }

    private static Tensor put(KernelBackend b, String name, float[] values, long... dims) {
        return b.uploadWeights(name, TensorType.F32, dims, MemorySegment.ofArray(values));
    }

    private static AttentionConfig config(boolean compressed, RopeParams rope, float scale) {
        return new AttentionConfig(N, H, H, DK, DV, scale, EPS, rope,
                new AttentionConfig.Mla(compressed ? QR : 0, R, DN, DR));
    }

    private static AttentionConfig plainConfig(boolean compressed) {
        return config(compressed, RopeParams.of(RopeParams.Mode.NORMAL, DR, BASE), (float) (1 / Math.sqrt(DK)));
    }

    /** Runs {@code x} as batches of the given sizes, one after another, and returns every token's output. */
    private static float[] run(KernelBackend b, AttentionStrategy strategy, AttentionConfig config,
            AttentionWeights.Mla w, KvCache cache, float[] x, int... batches) {
        float[] all = new float[x.length];
        try (ComputeStream stream = b.openStream()) {
            int position = 0;
            for (int size : batches) {
                stream.resetScratch();
                Tensor in = stream.scratch("x", TensorType.F32, N, size);
                Tensor out = stream.scratch("out", TensorType.F32, N, size);
                stream.write(MemorySegment.ofArray(Arrays.copyOfRange(x, position * N, (position + size) * N)), in);
                strategy.forward(stream, config, w, cache.layer(0), in, position, out);
                System.arraycopy(stream.readFloats(out), 0, all, position * N, size * N);
                position += size;
            }
        }
        return all;
    }

    // ---- the reference ------------------------------------------------------------------

    /** {@code y = W x} for {@code W {in, out}}. */
    private static double[] mul(float[] w, int in, int out, double[] x) {
        double[] y = new double[out];
        for (int o = 0; o < out; o++) {
            double sum = 0;
            for (int i = 0; i < in; i++) {
                sum += w[i + in * o] * x[i];
            }
            y[o] = sum;
        }
        return y;
    }

    private static double[] rmsNorm(double[] x, float[] weight) {
        double squares = 0;
        for (double v : x) {
            squares += v * v;
        }
        double inverse = 1 / Math.sqrt(squares / x.length + EPS);
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = x[i] * inverse * weight[i];
        }
        return y;
    }

    /** Adjacent pairs {@code (2i, 2i + 1)} of {@code [from, from + DR)} turned by {@code p * base^(-2i / DR)}. */
    private static void rope(double[] x, int from, int position) {
        for (int i = 0; i < DR / 2; i++) {
            double theta = position * Math.pow(BASE, -2.0 * i / DR);
            double x0 = x[from + 2 * i];
            double x1 = x[from + 2 * i + 1];
            x[from + 2 * i] = x0 * Math.cos(theta) - x1 * Math.sin(theta);
            x[from + 2 * i + 1] = x0 * Math.sin(theta) + x1 * Math.cos(theta);
        }
    }

    private static double[] token(float[] x, int t) {
        double[] v = new double[N];
        for (int i = 0; i < N; i++) {
            v[i] = x[t * N + i];
        }
        return v;
    }

    /** Cache row of token {@code t}: the normalised latent then the roped key. */
    private static double[] cacheRow(Weights w, double[] x, int position) {
        double[] kv = mul(w.wkvA, N, R + DR, x);
        double[] latent = rmsNorm(Arrays.copyOf(kv, R), w.kvANorm);
        double[] row = Arrays.copyOf(latent, R + DR);
        System.arraycopy(kv, R, row, R, DR);
        rope(row, R, position);
        return row;
    }

    /** The textbook computation: every key and value decompressed, causal softmax attention per head. */
    private static float[] reference(Weights w, float[] x, float scale) {
        int tokens = x.length / N;
        double[][] rows = new double[tokens][];
        double[][] kv = new double[tokens][];
        for (int t = 0; t < tokens; t++) {
            rows[t] = cacheRow(w, token(x, t), t);
            kv[t] = mul(w.wkvB, R, H * (DN + DV), Arrays.copyOf(rows[t], R));
        }
        float[] out = new float[x.length];
        for (int t = 0; t < tokens; t++) {
            double[] in = token(x, t);
            double[] q = w.compressed
                    ? mul(w.wqB, QR, H * DK, rmsNorm(mul(w.wqA, N, QR, in), w.qANorm))
                    : mul(w.wq, N, H * DK, in);
            double[] attended = new double[H * DV];
            for (int h = 0; h < H; h++) {
                rope(q, h * DK + DN, t);
                double[] scores = new double[t + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j <= t; j++) {
                    double dot = 0;
                    for (int i = 0; i < DN; i++) {
                        dot += q[h * DK + i] * kv[j][h * (DN + DV) + i];
                    }
                    for (int i = 0; i < DR; i++) {
                        dot += q[h * DK + DN + i] * rows[j][R + i];
                    }
                    scores[j] = scale * dot;
                    max = Math.max(max, scores[j]);
                }
                double total = 0;
                for (int j = 0; j <= t; j++) {
                    scores[j] = Math.exp(scores[j] - max);
                    total += scores[j];
                }
                for (int j = 0; j <= t; j++) {
                    for (int e = 0; e < DV; e++) {
                        attended[h * DV + e] += scores[j] / total * kv[j][h * (DN + DV) + DN + e];
                    }
                }
            }
            double[] y = mul(w.wo, H * DV, N, attended);
            for (int i = 0; i < N; i++) {
                out[t * N + i] = (float) y[i];
            }
        }
        return out;
    }

    private static void assertClose(float[] expected, float[] actual, double tolerance, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            double bound = tolerance * Math.max(1, Math.abs(expected[i]));
            int index = i;
            assertTrue(Math.abs(expected[i] - actual[i]) <= bound, () -> what + ": element " + index + " (token "
                    + index / N + ") is " + actual[index] + ", expected " + expected[index] + " within " + bound);
        }
    }

    // ---- tests --------------------------------------------------------------------------

    @Test
    void createCache_holdsOnlyTheLatentAndTheRopeKey() {
        AttentionConfig config = plainConfig(false);
        for (AttentionStrategy strategy : new AttentionStrategy[] {new NaiveMlaAttention(), new AbsorbedMlaAttention()}) {
            try (KvCache cache = strategy.createCache(backend, config, 3, 10, TensorType.F16)) {
                assertArrayEquals(new long[] {R + DR, 1, 10}, cache.layer(2).keys().dims());
                assertTrue(cache.layer(2).values() == cache.layer(2).keys(), "values share the latent tensor");
                assertEquals(3L * (R + DR) * 2, cache.bytesPerToken());
                assertEquals(3L * H * (DK + DV) * 2, cache.mhaEquivalentBytesPerToken());
                assertEquals(config.cacheBytesPerToken(TensorType.F16) * 3, cache.bytesPerToken());
            }
        }
    }

    @Test
    void createCache_refusesAConfigWithoutMla() {
        AttentionConfig gqa = new AttentionConfig(N, H, H, 12, 12, 0.3f, EPS,
                RopeParams.of(RopeParams.Mode.NORMAL, 12, BASE), null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new AbsorbedMlaAttention().createCache(backend, gqa, 1, 4, TensorType.F32));
        assertTrue(e.getMessage().contains("mla-absorbed"), e.getMessage());
    }

    @Test
    void naive_matchesTheReference_withoutAndWithQueryCompression() {
        for (boolean compressed : new boolean[] {false, true}) {
            Weights w = new Weights(compressed);
            AttentionConfig config = plainConfig(compressed);
            float[] x = input(7);
            try (KvCache cache = new NaiveMlaAttention().createCache(backend, config, 1, 8, TensorType.F32)) {
                float[] actual = run(backend, new NaiveMlaAttention(), config, w.upload(backend, true, false), cache, x,
                        4, 1, 2);
                assertClose(reference(w, x, config.scale()), actual, REFERENCE_TOLERANCE, "naive, q compression "
                        + compressed);
            }
        }
    }

    @Test
    void absorbed_matchesTheReference_withoutAndWithQueryCompression() {
        for (boolean compressed : new boolean[] {false, true}) {
            Weights w = new Weights(compressed);
            AttentionConfig config = plainConfig(compressed);
            float[] x = input(7);
            try (KvCache cache = new AbsorbedMlaAttention().createCache(backend, config, 1, 8, TensorType.F32)) {
                float[] actual = run(backend, new AbsorbedMlaAttention(), config, w.upload(backend, false, true), cache,
                        x, 4, 1, 2);
                assertClose(reference(w, x, config.scale()), actual, REFERENCE_TOLERANCE, "absorbed, q compression "
                        + compressed);
            }
        }
    }

    @Test
    void theCache_holdsTheNormalisedLatentThenTheRopedKey() {
        Weights w = new Weights(false);
        AttentionConfig config = plainConfig(false);
        float[] x = input(3);
        try (KvCache cache = new AbsorbedMlaAttention().createCache(backend, config, 1, 4, TensorType.F32);
                ComputeStream stream = backend.openStream()) {
            run(backend, new AbsorbedMlaAttention(), config, w.upload(backend, false, true), cache, x, 3);
            float[] cached = stream.readFloats(cache.layer(0).keys());
            for (int t = 0; t < 3; t++) {
                double[] expected = cacheRow(w, token(x, t), t);
                for (int i = 0; i < R + DR; i++) {
                    assertEquals(expected[i], cached[t * (R + DR) + i], 1e-5 * Math.max(1, Math.abs(expected[i])),
                            "position " + t + ", element " + i);
                }
            }
            assertEquals(0f, cached[3 * (R + DR)], "position 3 is not written");
        }
    }

    @Test
    void naiveAndAbsorbed_agree_underYarnAndMscale_onBothBackends() {
        // DeepSeek's YaRN: scaled frequencies, the ramp, cos/sin magnitude and mscale^2 in the logit scale.
        float factor = 40f;
        float mscale = (float) (1 + 0.1 * 0.707 * Math.log(factor));
        RopeParams yarn = new RopeParams(RopeParams.Mode.NORMAL, DR, BASE, 1f / factor, 64, 1f,
                (float) (1 / (1 + 0.1 * Math.log(factor))), 32f, 1f);
        AttentionConfig config = config(true, yarn, (float) (mscale * mscale / Math.sqrt(DK)));
        Weights w = new Weights(true);
        float[] x = input(9);
        VectorKernelBackend vector = VectorKernelBackend.standalone(2);
        try {
            for (KernelBackend b : new KernelBackend[] {backend, vector}) {
                AttentionWeights.Mla both = w.upload(b, true, true);
                try (KvCache naiveCache = new NaiveMlaAttention().createCache(b, config, 1, 12, TensorType.F32);
                        KvCache absorbedCache = new AbsorbedMlaAttention().createCache(b, config, 1, 12, TensorType.F32)) {
                    float[] naive = run(b, new NaiveMlaAttention(), config, both, naiveCache, x, 5, 1, 1, 2);
                    float[] absorbed = run(b, new AbsorbedMlaAttention(), config, both, absorbedCache, x, 5, 1, 1, 2);
                    assertClose(naive, absorbed, STRATEGY_TOLERANCE, "naive vs absorbed on " + b.name());
                }
            }
        } finally {
            vector.shutdown(Duration.ofSeconds(1));
        }
    }

    @Test
    void aBatch_equalsTokenByToken() {
        Weights w = new Weights(true);
        AttentionConfig config = plainConfig(true);
        AttentionWeights.Mla both = w.upload(backend, true, true);
        float[] x = input(5);
        for (AttentionStrategy strategy : new AttentionStrategy[] {new NaiveMlaAttention(), new AbsorbedMlaAttention()}) {
            try (KvCache batched = strategy.createCache(backend, config, 1, 5, TensorType.F32);
                    KvCache single = strategy.createCache(backend, config, 1, 5, TensorType.F32)) {
                float[] all = run(backend, strategy, config, both, batched, x, 5);
                float[] one = run(backend, strategy, config, both, single, x, 1, 1, 1, 1, 1);
                assertClose(all, one, 1e-5, strategy.name() + " batch vs one by one");
            }
        }
    }

    @Test
    void forward_withoutTheUpProjectionItNeeds_namesIt() {
        Weights w = new Weights(false);
        AttentionConfig config = plainConfig(false);
        try (KvCache cache = new AbsorbedMlaAttention().createCache(backend, config, 1, 4, TensorType.F32)) {
            AttentionWeights.Mla onlyKvB = w.upload(backend, true, false);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> run(backend, new AbsorbedMlaAttention(), config, onlyKvB, cache, input(1), 1));
            assertTrue(e.getMessage().contains("attn_k_b"), e.getMessage());
            AttentionWeights.Mla onlySplit = w.upload(backend, false, true);
            e = assertThrows(IllegalArgumentException.class,
                    () -> run(backend, new NaiveMlaAttention(), config, onlySplit, cache, input(1), 1));
            assertTrue(e.getMessage().contains("attn_kv_b"), e.getMessage());
        }
    }

    @Test
    void forward_withAWrongRank_namesTheTensorAndTheDims() {
        Weights w = new Weights(false);
        AttentionConfig wrong = new AttentionConfig(N, H, H, DK, DV, 0.2f, EPS,
                RopeParams.of(RopeParams.Mode.NORMAL, DR, BASE), new AttentionConfig.Mla(0, R + 2, DN, DR));
        try (KvCache cache = new NaiveMlaAttention().createCache(backend, wrong, 1, 4, TensorType.F32)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> run(backend, new NaiveMlaAttention(), wrong, w.upload(backend, true, false), cache, input(1), 1));
            assertTrue(e.getMessage().contains("attn_kv_a_mqa") && e.getMessage().contains("" + (R + 2 + DR)),
                    e.getMessage());
        }
    }

    @Test
    void forward_pastTheCache_isRejected() {
        Weights w = new Weights(false);
        AttentionConfig config = plainConfig(false);
        try (KvCache cache = new AbsorbedMlaAttention().createCache(backend, config, 1, 4, TensorType.F32);
                ComputeStream stream = backend.openStream()) {
            Tensor in = stream.scratch("x", TensorType.F32, N, 2);
            Tensor out = stream.scratch("out", TensorType.F32, N, 2);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new AbsorbedMlaAttention().forward(stream, config, w.upload(backend, false, true),
                            cache.layer(0), in, 3, out));
            assertTrue(e.getMessage().contains("[3, 5)"), e.getMessage());
        }
    }
}
