package dev.petrel.api.engine;

import dev.petrel.api.weights.TensorType;
import java.util.Objects;

/**
 * How to load a model.
 *
 * @param contextLength positions per session; 0 means the model's trained context, at most
 *        {@link #DEFAULT_CONTEXT} (to bound cache memory)
 * @param cacheType KV cache element type: F16 (as llama.cpp's default), F32 or BF16
 * @param attention the attention strategy ({@code gqa}, {@code mla-naive},
 *        {@code mla-absorbed}), or null for the architecture's default
 */
public record LoadOptions(int contextLength, TensorType cacheType, String attention) {

    /** The context a session gets when neither the options nor a smaller model say otherwise. */
    public static final int DEFAULT_CONTEXT = 4096;

    public static final LoadOptions DEFAULTS = new LoadOptions(0, TensorType.F16, null);

    public LoadOptions {
        Objects.requireNonNull(cacheType, "cacheType");
        if (contextLength < 0) {
            throw new IllegalArgumentException("context length must be 0 (model default) or positive: " + contextLength);
        }
        if (cacheType != TensorType.F32 && cacheType != TensorType.F16 && cacheType != TensorType.BF16) {
            throw new IllegalArgumentException("KV cache type must be F32, F16 or BF16: " + cacheType);
        }
    }
}
