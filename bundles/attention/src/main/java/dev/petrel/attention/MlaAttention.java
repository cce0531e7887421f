package dev.petrel.attention;

import dev.petrel.api.attention.AttentionConfig;
import dev.petrel.api.attention.AttentionStrategy;
import dev.petrel.api.attention.AttentionWeights;
import dev.petrel.api.attention.KvCache;
import dev.petrel.api.kernel.ComputeStream;
import dev.petrel.api.kernel.KernelBackend;
import dev.petrel.api.kernel.Tensor;
import dev.petrel.api.weights.TensorType;
import java.util.Arrays;

/**
 * What the two multi-head latent attention strategies share (DeepSeek-V2/V3): the queries
 * (directly, or through the compressed {@code q_lora_rank} path with its norm), the decoupled
 * rope parts of queries and key, and the cache write. With {@code r = kv_lora_rank},
 * {@code dn = qk_nope_head_dim}, {@code dr = qk_rope_head_dim}:
 *
 * <pre>
 * q         = wq x   or   wqB rms_norm(wqA x) * qANorm          {dn + dr, H, T}
 * q[dn:]    = rope(q[dn:])                                      adjacent pairs
 * c ++ kpe  = wkvA x                                            {r + dr, T}
 * cache[p]  = rms_norm(c) * kvANorm ++ rope(kpe)                 only this is cached
 * </pre>
 *
 * Subclasses differ in how they attend over the cached latent. The rope key is one vector per
 * position, shared by all heads.
 */
abstract class MlaAttention implements AttentionStrategy {

    /** Per-step shapes, checked once per call. */
    record Shape(int heads, int rank, int nope, int rope, int value, int tokens) {
        int keyLength() {
            return nope + rope;
        }

        int cacheRow() {
            return rank + rope;
        }
    }

    @Override
    public final KvCache createCache(KernelBackend backend, AttentionConfig config, int layerCount, int contextLength,
            TensorType type) {
        if (!config.isMla()) {
            throw new IllegalArgumentException(name() + ": the model does not use latent attention (no MLA config)");
        }
        AttentionConfig.Mla mla = config.mla();
        // One tensor per layer: the normalised latent then the roped key, read as keys and as values.
        return LayeredKvCache.allocate(backend, type, layerCount, contextLength,
                new long[] {mla.kvLoraRank() + mla.ropeLength(), 1}, null,
                (long) layerCount * config.mhaEquivalentElementsPerToken());
    }

    @Override
    public final void forward(ComputeStream stream, AttentionConfig config, AttentionWeights weights,
            KvCache.Layer cache, Tensor x, int position0, Tensor out) {
        if (!(weights instanceof AttentionWeights.Mla w) || !config.isMla()) {
            throw new IllegalArgumentException(name() + " needs MLA weights and config, got "
                    + weights.getClass().getSimpleName() + (config.isMla() ? "" : " and a config without MLA"));
        }
        AttentionConfig.Mla mla = config.mla();
        Shape s = new Shape(config.headCount(), mla.kvLoraRank(), mla.nopeLength(), mla.ropeLength(),
                config.valueLength(), Math.toIntExact(x.rows()));
        checkCache(cache, s, position0);
        checkWeights(w, config, s);

        Tensor q = queries(stream, config, w, x, position0, s);    // {dk, H, T}, rope part rotated
        writeCache(stream, config, w, x, cache, position0, s);
        Tensor attended = attend(stream, config, w, q, cache, position0, s);   // {dv, H, T}
        stream.matmul(w.wo(), attended.reshape((long) s.heads() * s.value(), s.tokens()), out);
    }

    /**
     * Attends the queries over positions {@code [0, position0 + T)} of the latent cache.
     *
     * @param q {@code {dn + dr, H, T}}, the rope part already rotated
     * @return {@code {dv, H, T}}, before the output projection
     */
    abstract Tensor attend(ComputeStream stream, AttentionConfig config, AttentionWeights.Mla w, Tensor q,
            KvCache.Layer cache, int position0, Shape s);

    /** Checks the up-projection this strategy reads; the shared tensors are checked before. */
    abstract void checkUpProjection(AttentionWeights.Mla w, Shape s);

    private Tensor queries(ComputeStream stream, AttentionConfig config, AttentionWeights.Mla w, Tensor x,
            int position0, Shape s) {
        Tensor q = stream.scratch("mla.q", TensorType.F32, (long) s.heads() * s.keyLength(), s.tokens());
        if (w.wq() != null) {
            stream.matmul(w.wq(), x, q);
        } else {
            Tensor compressed = stream.scratch("mla.q_a", TensorType.F32, w.wqA().dim(1), s.tokens());
            stream.matmul(w.wqA(), x, compressed);
            stream.rmsNorm(compressed, w.qANorm(), config.normEps(), compressed);
            stream.matmul(w.wqB(), compressed, q);
        }
        Tensor heads = q.reshape(s.keyLength(), s.heads(), s.tokens());
        stream.rope(heads, position0, s.nope(), config.rope(), null, heads);
        return heads;
    }

    private void writeCache(ComputeStream stream, AttentionConfig config, AttentionWeights.Mla w, Tensor x,
            KvCache.Layer cache, int position0, Shape s) {
        Tensor kv = stream.scratch("mla.kv_a", TensorType.F32, s.cacheRow(), s.tokens());   // {r + dr, T}
        stream.matmul(w.wkvA(), x, kv);
        Tensor kvHeads = kv.reshape(s.cacheRow(), 1, s.tokens());
        stream.rope(kvHeads, position0, s.rank(), config.rope(), null, kvHeads);
        // Only the latent is normalised: RMS_NORM works on whole rows, so it gets rows of its own.
        Tensor latent = stream.scratch("mla.latent", TensorType.F32, s.rank(), s.tokens());
        stream.copy(kv, 0, s.rank(), latent, 0);
        stream.rmsNorm(latent, w.kvANorm(), config.normEps(), latent);
        Tensor slots = cache.keys().slice(position0, s.tokens());    // {r + dr, 1, T}
        stream.copy(latent, 0, s.rank(), slots, 0);
        stream.copy(kv, s.rank(), s.rope(), slots, s.rank());
    }

    private void checkCache(KvCache.Layer cache, Shape s, int position0) {
        Tensor keys = cache.keys();
        if (keys.dim(0) != s.cacheRow() || keys.dim(1) != 1 || cache.values() != keys) {
            throw new IllegalArgumentException(name() + ": the cache is not a latent cache of rows kv_lora_rank + "
                    + "qk_rope_head_dim = " + s.cacheRow() + ": keys " + Arrays.toString(keys.dims()));
        }
        long positions = keys.dim(2);
        if (position0 < 0 || position0 + (long) s.tokens() > positions) {
            throw new IllegalArgumentException(name() + ": positions [" + position0 + ", " + (position0 + s.tokens())
                    + ") do not fit a cache of " + positions);
        }
    }

    private void checkWeights(AttentionWeights.Mla w, AttentionConfig config, Shape s) {
        int n = config.embeddingLength();
        long qLength = (long) s.heads() * s.keyLength();
        if (w.wq() != null) {
            expect(w.wq(), "attn_q", n, qLength);
        } else {
            int qRank = config.mla().qLoraRank();
            expect(w.wqA(), "attn_q_a", n, qRank);
            expect(w.qANorm(), "attn_q_a_norm", qRank);
            expect(w.wqB(), "attn_q_b", qRank, qLength);
        }
        expect(w.wkvA(), "attn_kv_a_mqa", n, s.cacheRow());
        expect(w.kvANorm(), "attn_kv_a_norm", s.rank());
        expect(w.wo(), "attn_output", (long) s.heads() * s.value(), n);
        checkUpProjection(w, s);
    }

    /** Fails naming the role and tensor unless {@code t} has exactly {@code dims} (trailing 1s aside). */
    static void expect(Tensor t, String role, long... dims) {
        long[] actual = t.dims();
        int rank = Math.max(actual.length, dims.length);
        for (int i = 0; i < rank; i++) {
            long a = i < actual.length ? actual[i] : 1;
            long e = i < dims.length ? dims[i] : 1;
            if (a != e) {
                throw new IllegalArgumentException("MLA " + role + " (" + t.name() + ") has dims "
                        + Arrays.toString(actual) + ", expected " + Arrays.toString(dims));
            }
        }
    }
}
