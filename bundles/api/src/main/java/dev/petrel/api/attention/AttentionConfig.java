package dev.petrel.api.attention;

import dev.petrel.api.kernel.RopeParams;
import dev.petrel.api.weights.TensorType;
import java.util.Objects;

/**
 * Attention hyperparameters of a model, the same for every layer. GGUF keys are given with
 * {@code {arch}} for the value of {@code general.architecture}.
 *
 * @param embeddingLength {@code n_embd} ({@code {arch}.embedding_length})
 * @param headCount query heads {@code H} ({@code {arch}.attention.head_count})
 * @param kvHeadCount key/value heads {@code Hkv} ({@code {arch}.attention.head_count_kv},
 *        dividing {@code H}); MLA: always {@code H}, whatever the file says (files with the
 *        split MLA layout write 1, describing the latent cache as MQA)
 * @param keyLength per-head query/key length {@code dk} ({@code {arch}.attention.key_length},
 *        else {@code n_embd / H}); MLA: {@code nopeLength + ropeLength}, read from
 *        {@code key_length_mla} when present (split layout: {@code key_length} is then
 *        {@code kv_lora_rank + ropeLength}), else from {@code key_length}
 * @param valueLength per-head value length {@code dv} ({@code {arch}.attention.value_length},
 *        else {@code n_embd / H}); MLA: {@code v_head_dim}, read from
 *        {@code value_length_mla} when present, else from {@code value_length}
 * @param scale the attention logit scale: {@code 1 / sqrt(keyLength)}, times
 *        {@code mscale^2} under DeepSeek's YaRN
 * @param normEps epsilon of the RMS norms inside attention (qwen3's q/k norms, MLA's latent
 *        norms): {@code {arch}.attention.layer_norm_rms_epsilon}
 * @param rope rotary embedding of the keys and queries
 * @param mla the latent attention shape, or null for MHA/GQA
 */
public record AttentionConfig(int embeddingLength, int headCount, int kvHeadCount, int keyLength, int valueLength,
        float scale, float normEps, RopeParams rope, Mla mla) {

    /**
     * Multi-head latent attention (DeepSeek-V2/V3).
     *
     * @param qLoraRank query compression rank ({@code {arch}.attention.q_lora_rank}); 0 means
     *        queries are not compressed
     * @param kvLoraRank key/value latent rank ({@code {arch}.attention.kv_lora_rank})
     * @param nopeLength per-head key part without position ({@code qk_nope_head_dim}: the
     *        per-head key length less {@code ropeLength})
     * @param ropeLength decoupled rope key length, shared by all heads
     *        ({@code {arch}.rope.dimension_count}, {@code qk_rope_head_dim})
     */
    public record Mla(int qLoraRank, int kvLoraRank, int nopeLength, int ropeLength) {
        public Mla {
            if (qLoraRank < 0 || kvLoraRank < 1 || nopeLength < 1 || ropeLength < 2) {
                throw new IllegalArgumentException("MLA ranks: q_lora_rank " + qLoraRank + ", kv_lora_rank "
                        + kvLoraRank + ", qk_nope_head_dim " + nopeLength + ", qk_rope_head_dim " + ropeLength);
            }
        }
    }

    public AttentionConfig {
        Objects.requireNonNull(rope, "rope");
        if (embeddingLength < 1 || headCount < 1 || kvHeadCount < 1 || headCount % kvHeadCount != 0
                || keyLength < 1 || valueLength < 1) {
            throw new IllegalArgumentException("attention shape: n_embd " + embeddingLength + ", heads "
                    + headCount + ", kv heads " + kvHeadCount + " (must divide heads), key length " + keyLength
                    + ", value length " + valueLength);
        }
        if (!(scale > 0) || !Float.isFinite(scale) || !(normEps > 0)) {
            throw new IllegalArgumentException("attention scale " + scale + " and norm epsilon " + normEps
                    + " must be positive");
        }
        if (mla == null ? rope.dimensions() > keyLength
                : kvHeadCount != headCount || keyLength != mla.nopeLength() + mla.ropeLength()
                        || rope.dimensions() != mla.ropeLength()) {
            throw new IllegalArgumentException("attention: rope dimensions " + rope.dimensions()
                    + " do not fit key length " + keyLength + (mla == null ? "" : " and " + mla));
        }
    }

    public boolean isMla() {
        return mla != null;
    }

    /**
     * Elements cached per token and layer: {@code Hkv * (dk + dv)} for MHA/GQA,
     * {@code kv_lora_rank + qk_rope_head_dim} for MLA.
     */
    public long cacheElementsPerToken() {
        return mla == null ? (long) kvHeadCount * (keyLength + valueLength) : mla.kvLoraRank() + mla.ropeLength();
    }

    /** Elements an MHA model of the same heads would cache per token and layer: {@code H * (dk + dv)}. */
    public long mhaEquivalentElementsPerToken() {
        return (long) headCount * (keyLength + valueLength);
    }

    /** Cache bytes per token and layer in a cache of {@code type} (F32, F16 or BF16). */
    public long cacheBytesPerToken(TensorType type) {
        return type.rowBytes(cacheElementsPerToken());
    }
}
