package dev.petrel.attention;

import dev.petrel.api.attention.AttentionConfig;
import dev.petrel.api.attention.AttentionStrategy;
import dev.petrel.api.attention.AttentionWeights;
import dev.petrel.api.attention.KvCache;
import dev.petrel.api.kernel.ComputeStream;
import dev.petrel.api.kernel.Tensor;
import dev.petrel.api.weights.TensorType;
import org.osgi.service.component.annotations.Component;

/**
 * Multi-head latent attention with the up-projections absorbed (DeepSeek-V2 paper, section
 * 2.1.2): since {@code q_nope . (W_kb c) = (W_kb^T q_nope) . c}, each head's query moves into
 * the latent space with {@code attn_k_b}, attends the cached latents directly (one shared
 * "key/value head", MQA-like), and the weighted latent comes back to the value space with
 * {@code attn_v_b}.
 *
 * <pre>
 * q_lat  = attn_k_b_h q_nope ++ q_pe       {r + dr, H, T}
 * o_lat  = softmax(scale q_lat . cache) c  {r, H, T}     the cache rows are c ++ kpe
 * out    = attn_v_b_h o_lat                {dv, H, T}
 * </pre>
 *
 * Nothing is decompressed per position, so a decode step reads {@code r + dr} cached elements
 * per position and layer instead of {@code H (dk + dv)}. This is the form llama.cpp uses for
 * files with the split {@code attn_k_b}/{@code attn_v_b} layout.
 */
@Component(service = AttentionStrategy.class, property = AttentionStrategy.ATTENTION + "=" + AbsorbedMlaAttention.NAME)
public final class AbsorbedMlaAttention extends MlaAttention {

    public static final String NAME = "mla-absorbed";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    void checkUpProjection(AttentionWeights.Mla w, Shape s) {
        if (w.wkB() == null || w.wvB() == null) {
            throw new IllegalArgumentException(NAME + " needs attn_k_b and attn_v_b (derive them from attn_kv_b at load)");
        }
        expect(w.wkB(), "attn_k_b", s.nope(), s.rank(), s.heads());
        expect(w.wvB(), "attn_v_b", s.rank(), s.value(), s.heads());
    }

    @Override
    Tensor attend(ComputeStream stream, AttentionConfig config, AttentionWeights.Mla w, Tensor q, KvCache.Layer cache,
            int position0, Shape s) {
        // MATMUL_HEADS reads contiguous rows: the no-position part of each query head gets its own.
        Tensor nope = stream.scratch("mla.q_nope", TensorType.F32, s.nope(), s.heads(), s.tokens());
        stream.copy(q, 0, s.nope(), nope, 0);
        Tensor absorbed = stream.scratch("mla.q_nope_absorbed", TensorType.F32, s.rank(), s.heads(), s.tokens());
        stream.matmulHeads(w.wkB(), nope, absorbed);
        // The query over the cache rows: latent part then rope part, as the rows are laid out.
        Tensor query = stream.scratch("mla.q_latent", TensorType.F32, s.cacheRow(), s.heads(), s.tokens());
        stream.copy(absorbed, 0, s.rank(), query, 0);
        stream.copy(q, s.nope(), s.rope(), query, s.rank());

        Tensor latent = stream.scratch("mla.out_latent", TensorType.F32, s.rank(), s.heads(), s.tokens());
        stream.attention(query, cache.keys(), cache.values(), s.rank(), config.scale(), position0, latent);
        Tensor attended = stream.scratch("mla.out", TensorType.F32, s.value(), s.heads(), s.tokens());
        stream.matmulHeads(w.wvB(), latent, attended);
        return attended;
    }
}
