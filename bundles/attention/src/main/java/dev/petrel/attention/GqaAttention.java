package dev.petrel.attention;

import dev.petrel.api.attention.AttentionConfig;
import dev.petrel.api.attention.AttentionStrategy;
import dev.petrel.api.attention.AttentionWeights;
import dev.petrel.api.attention.KvCache;
import dev.petrel.api.kernel.ComputeStream;
import dev.petrel.api.kernel.KernelBackend;
import dev.petrel.api.kernel.Tensor;
import dev.petrel.api.weights.TensorType;
import org.osgi.service.component.annotations.Component;

/**
 * Multi-head and grouped-query attention (llama, qwen2, qwen3): {@code H} query heads share
 * {@code Hkv} key/value heads, {@code H / Hkv} queries per group. The whole batch goes through
 * each projection as one matrix product; the cache keeps keys after RoPE, so a position is
 * rotated once, when it is written.
 */
@Component(property = AttentionStrategy.ATTENTION + "=" + GqaAttention.NAME)
public final class GqaAttention implements AttentionStrategy {

    public static final String NAME = "gqa";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public KvCache createCache(KernelBackend backend, AttentionConfig config, int layerCount, int contextLength,
            TensorType type) {
        if (config.isMla()) {
            throw new IllegalArgumentException("gqa: the model uses latent attention (MLA): " + config.mla());
        }
        return LayeredKvCache.allocate(backend, type, layerCount, contextLength,
                new long[] {config.keyLength(), config.kvHeadCount()},
                new long[] {config.valueLength(), config.kvHeadCount()},
                (long) layerCount * config.mhaEquivalentElementsPerToken());
    }

    @Override
    public void forward(ComputeStream stream, AttentionConfig config, AttentionWeights weights, KvCache.Layer cache,
            Tensor x, int position0, Tensor out) {
        if (!(weights instanceof AttentionWeights.Gqa w) || config.isMla()) {
            throw new IllegalArgumentException("gqa needs GQA weights and config, got " + weights.getClass().getSimpleName());
        }
        int heads = config.headCount();
        int kvHeads = config.kvHeadCount();
        int dk = config.keyLength();
        int dv = config.valueLength();
        long tokens = x.rows();
        long positions = cache.keys().dim(2);
        if (position0 < 0 || position0 + tokens > positions) {
            throw new IllegalArgumentException("gqa: positions [" + position0 + ", " + (position0 + tokens)
                    + ") do not fit a cache of " + positions);
        }

        // Projections over the batch: x {n, T}.
        Tensor q = stream.scratch("attn.q", TensorType.F32, (long) heads * dk, tokens);    // {H * dk, T}
        Tensor k = stream.scratch("attn.k", TensorType.F32, (long) kvHeads * dk, tokens);  // {Hkv * dk, T}
        Tensor v = stream.scratch("attn.v", TensorType.F32, (long) kvHeads * dv, tokens);  // {Hkv * dv, T}
        stream.matmul(w.wq(), x, q);
        stream.matmul(w.wk(), x, k);
        stream.matmul(w.wv(), x, v);
        addBias(stream, q, w.bq());
        addBias(stream, k, w.bk());
        addBias(stream, v, w.bv());

        // One row per head from here on.
        Tensor qh = q.reshape(dk, heads, tokens);    // {dk, H, T}
        Tensor kh = k.reshape(dk, kvHeads, tokens);  // {dk, Hkv, T}
        Tensor vh = v.reshape(dv, kvHeads, tokens);  // {dv, Hkv, T}

        // qwen3 normalises each head before rotating it.
        if (w.qNorm() != null) {
            stream.rmsNorm(qh, w.qNorm(), config.normEps(), qh);
        }
        if (w.kNorm() != null) {
            stream.rmsNorm(kh, w.kNorm(), config.normEps(), kh);
        }
        stream.rope(qh, position0, 0, config.rope(), w.ropeFactors(), qh);
        stream.rope(kh, position0, 0, config.rope(), w.ropeFactors(), kh);

        // The batch's keys and values join the cache (converted to its type), then every query
        // attends causally over positions [0, position0 + t].
        stream.copy(kh, cache.keys().slice(position0, tokens));
        stream.copy(vh, cache.values().slice(position0, tokens));
        Tensor attended = stream.scratch("attn.out", TensorType.F32, dv, heads, tokens);  // {dv, H, T}
        stream.attention(qh, cache.keys(), cache.values(), dv, config.scale(), position0, attended);

        stream.matmul(w.wo(), attended.reshape((long) heads * dv, tokens), out);  // {n, T}
        addBias(stream, out, w.bo());
    }

    private static void addBias(ComputeStream stream, Tensor x, Tensor bias) {
        if (bias != null) {
            stream.add(x, bias, x);
        }
    }
}
