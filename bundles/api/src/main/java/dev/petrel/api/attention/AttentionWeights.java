package dev.petrel.api.attention;

import dev.petrel.api.kernel.Tensor;
import java.util.Objects;

/**
 * One layer's attention weights, already on the backend. Shapes are contiguous first
 * ({@code {n_in, n_out}} for {@code y = W x}); {@code n} is {@code n_embd}. Optional tensors
 * are null; an optional tensor present in the file is always used.
 */
public sealed interface AttentionWeights {

    /** The output projection {@code {H * dv, n}} ({@code attn_output}). */
    Tensor wo();

    /**
     * MHA/GQA (llama, qwen2, qwen3).
     *
     * @param wq {@code {n, H * dk}} ({@code attn_q})
     * @param wk {@code {n, Hkv * dk}} ({@code attn_k})
     * @param wv {@code {n, Hkv * dv}} ({@code attn_v})
     * @param wo {@code {H * dv, n}} ({@code attn_output})
     * @param bq {@code {H * dk}} or null (qwen2)
     * @param bk {@code {Hkv * dk}} or null (qwen2)
     * @param bv {@code {Hkv * dv}} or null (qwen2)
     * @param bo {@code {n}} or null
     * @param qNorm {@code {dk}} RMS norm weight of each query head, or null (qwen3,
     *        {@code attn_q_norm})
     * @param kNorm {@code {dk}} RMS norm weight of each key head, or null (qwen3,
     *        {@code attn_k_norm})
     * @param ropeFactors {@code {rope dimensions / 2}} frequency factors, or null (Llama 3
     *        rope scaling, {@code rope_freqs})
     */
    record Gqa(Tensor wq, Tensor wk, Tensor wv, Tensor wo, Tensor bq, Tensor bk, Tensor bv, Tensor bo,
            Tensor qNorm, Tensor kNorm, Tensor ropeFactors) implements AttentionWeights {
        public Gqa {
            Objects.requireNonNull(wq, "wq");
            Objects.requireNonNull(wk, "wk");
            Objects.requireNonNull(wv, "wv");
            Objects.requireNonNull(wo, "wo");
        }
    }

    /**
     * Multi-head latent attention (deepseek2). With {@code r = kv_lora_rank},
     * {@code dn = qk_nope_head_dim}, {@code dr = qk_rope_head_dim}, {@code dk = dn + dr}:
     * queries come from {@code wq}, or through {@code wqA}, {@code qANorm}, {@code wqB} when
     * {@code q_lora_rank > 0}. {@code mla-naive} needs {@code wkvB}; {@code mla-absorbed}
     * needs {@code wkB} and {@code wvB}. GGUF files carry one layout or the other (the split
     * one when {@code {arch}.attention.key_length_mla} is present); the architecture derives
     * the missing one at load when the chosen strategy needs it (dequantize, split per head,
     * transpose, upload).
     *
     * @param wq {@code {n, H * dk}} ({@code attn_q}) or null with q compression
     * @param wqA {@code {n, q_lora_rank}} ({@code attn_q_a}) or null
     * @param qANorm {@code {q_lora_rank}} ({@code attn_q_a_norm}) or null
     * @param wqB {@code {q_lora_rank, H * dk}} ({@code attn_q_b}) or null
     * @param wkvA {@code {n, r + dr}} ({@code attn_kv_a_mqa}): the latent then the rope key
     * @param kvANorm {@code {r}} ({@code attn_kv_a_norm})
     * @param wkvB {@code {r, H * (dn + dv)}} ({@code attn_kv_b}; per head the key part then
     *        the value part) or null
     * @param wkB {@code {dn, r, H}} ({@code attn_k_b}) or null
     * @param wvB {@code {r, dv, H}} ({@code attn_v_b}) or null
     * @param wo {@code {H * dv, n}} ({@code attn_output})
     */
    record Mla(Tensor wq, Tensor wqA, Tensor qANorm, Tensor wqB, Tensor wkvA, Tensor kvANorm, Tensor wkvB,
            Tensor wkB, Tensor wvB, Tensor wo) implements AttentionWeights {
        public Mla {
            if ((wq == null) == (wqA == null) || (wqA == null) != (wqB == null) || (wqA == null) != (qANorm == null)) {
                throw new IllegalArgumentException("MLA needs either attn_q or attn_q_a, attn_q_a_norm and attn_q_b");
            }
            Objects.requireNonNull(wkvA, "wkvA");
            Objects.requireNonNull(kvANorm, "kvANorm");
            Objects.requireNonNull(wo, "wo");
            if (wkvB == null && (wkB == null || wvB == null)) {
                throw new IllegalArgumentException("MLA needs attn_kv_b or both attn_k_b and attn_v_b");
            }
        }
    }
}
