package dev.petrel.shell;

import dev.petrel.api.attention.AttentionConfig;
import dev.petrel.api.engine.ModelConfig;
import dev.petrel.api.weights.TensorType;

/**
 * KV cache bytes per token over all layers, next to what multi-head attention with the same
 * heads would hold: the figure by which MLA (latent + rope key) and GQA (shared key/value
 * heads) save memory.
 *
 * @param bytesPerToken what the model's cache holds per token, all layers
 * @param mhaEquivalentBytesPerToken {@code layers * H * (dk + dv)} elements per token
 */
record CacheFigures(TensorType type, int layers, long elementsPerLayer, long bytesPerToken,
        long mhaEquivalentBytesPerToken) {

    static CacheFigures of(ModelConfig config, TensorType type) {
        AttentionConfig a = config.attention();
        int layers = config.blockCount();
        return new CacheFigures(type, layers, a.cacheElementsPerToken(), layers * a.cacheBytesPerToken(type),
                layers * type.rowBytes(a.mhaEquivalentElementsPerToken()));
    }

    /** How much smaller than MHA, in percent. */
    double reductionPercent() {
        return 100.0 * (1 - bytesPerToken / (double) mhaEquivalentBytesPerToken);
    }

    /** One line, for example {@code 27 layers x 576 elements = 31,104 bytes/token in F16; MHA equivalent ...}. */
    String describe(AttentionConfig attention) {
        String kind = attention.isMla()
                ? "MLA latent " + attention.mla().kvLoraRank() + " + rope key " + attention.mla().ropeLength()
                : attention.kvHeadCount() + " key/value heads of " + attention.keyLength() + " + " + attention.valueLength();
        return String.format("%d layers x %d elements (%s) = %,d bytes/token in %s; MHA equivalent %,d bytes/token"
                + " (%.1f%% less)", layers, elementsPerLayer, kind, bytesPerToken, type, mhaEquivalentBytesPerToken,
                reductionPercent());
    }
}
