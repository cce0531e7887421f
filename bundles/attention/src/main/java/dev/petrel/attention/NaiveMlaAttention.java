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
 * Multi-head latent attention as written in the DeepSeek-V2 paper: every step decompresses the
 * keys and values of all cached positions from the latent with {@code attn_kv_b}, then runs
 * ordinary multi-head attention.
 *
 * <pre>
 * k_nope ++ v = wkvB c_j                     {dn + dv, H} per position j
 * k_j         = k_nope ++ kpe_j              kpe shared by every head
 * out         = softmax(scale q k^T) v       {dv, H, T}
 * </pre>
 *
 * The cache is the same latent cache as {@code mla-absorbed}'s; the decompression costs
 * {@code O(positions)} matrix work per step, and its keys and values (about
 * {@code 4 H (2 dn + dk + 2 dv)} bytes per position) are scratch tensors of the step, for every
 * layer: with long contexts that is far more memory and work than the absorbed form needs,
 * which is why decoding uses that one. This one is the readable reference, and the form
 * llama.cpp computes for files with {@code attn_kv_b}.
 */
@Component(service = AttentionStrategy.class, property = AttentionStrategy.ATTENTION + "=" + NaiveMlaAttention.NAME)
public final class NaiveMlaAttention extends MlaAttention {

    public static final String NAME = "mla-naive";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    void checkUpProjection(AttentionWeights.Mla w, Shape s) {
        if (w.wkvB() == null) {
            throw new IllegalArgumentException(NAME + " needs attn_kv_b (derive it from attn_k_b and attn_v_b at load)");
        }
        expect(w.wkvB(), "attn_kv_b", s.rank(), (long) s.heads() * (s.nope() + s.value()));
    }

    @Override
    Tensor attend(ComputeStream stream, AttentionConfig config, AttentionWeights.Mla w, Tensor q, KvCache.Layer cache,
            int position0, Shape s) {
        int positions = position0 + s.tokens();
        Tensor cached = cache.keys().slice(0, positions);                                  // {r + dr, 1, P}
        Tensor latent = stream.scratch("mla.latent_all", TensorType.F32, s.rank(), positions);
        stream.copy(cached, 0, s.rank(), latent, 0);
        int perHead = s.nope() + s.value();
        Tensor kv = stream.scratch("mla.kv", TensorType.F32, (long) s.heads() * perHead, positions);
        stream.matmul(w.wkvB(), latent, kv);
        Tensor kvHeads = kv.reshape(perHead, s.heads(), positions);                       // {dn + dv, H, P}

        Tensor nope = stream.scratch("mla.k_nope", TensorType.F32, s.nope(), s.heads(), positions);
        stream.copy(kvHeads, 0, s.nope(), nope, 0);
        Tensor ropeKey = stream.scratch("mla.k_pe", TensorType.F32, s.rope(), 1, positions);
        stream.copy(cached, s.rank(), s.rope(), ropeKey, 0);
        Tensor keys = stream.scratch("mla.k", TensorType.F32, s.keyLength(), s.heads(), positions);
        stream.concat(nope, ropeKey, keys);
        Tensor values = stream.scratch("mla.v", TensorType.F32, s.value(), s.heads(), positions);
        stream.copy(kvHeads, s.nope(), s.value(), values, 0);

        Tensor attended = stream.scratch("mla.out", TensorType.F32, s.value(), s.heads(), s.tokens());
        stream.attention(q, keys, values, s.value(), config.scale(), position0, attended);
        return attended;
    }
}
