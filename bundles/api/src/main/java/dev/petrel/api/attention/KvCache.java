package dev.petrel.api.attention;

import dev.petrel.api.kernel.KernelBackend;
import dev.petrel.api.kernel.Tensor;
import dev.petrel.api.weights.TensorType;
import java.util.Objects;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The key/value cache of one session: one {@link Layer} per model layer, {@link #contextLength()}
 * positions each, held by a backend as {@link dev.petrel.api.kernel.BufferUsage#CACHE}
 * tensors. Created by {@link AttentionStrategy#createCache}; the session tracks how many
 * positions are filled.
 */
@ProviderType
public interface KvCache extends AutoCloseable {

    /**
     * One layer's cache tensors. MHA/GQA: {@code keys {dk, Hkv, ctx}} and
     * {@code values {dv, Hkv, ctx}}. MLA: {@code keys {kv_lora_rank + qk_rope_head_dim, 1, ctx}}
     * holding per position the normalised latent then the roped key, and {@code values} the
     * same tensor (attention reads the latent, its first {@code kv_lora_rank} elements).
     */
    record Layer(Tensor keys, Tensor values) {
        public Layer {
            Objects.requireNonNull(keys, "keys");
            Objects.requireNonNull(values, "values");
        }
    }

    KernelBackend backend();

    /** The element type of the cache (F32, F16 or BF16). */
    TensorType type();

    int layerCount();

    /** Positions each layer holds. */
    int contextLength();

    Layer layer(int index);

    /** Bytes per token over all layers, as held. */
    long bytesPerToken();

    /** Bytes per token over all layers that MHA with the same heads would hold in this type. */
    long mhaEquivalentBytesPerToken();

    /**
     * A copy of positions {@code [0, length)} of every layer on {@code target} (hot swap). This
     * cache stays open; the caller closes it.
     */
    KvCache transferTo(KernelBackend target, int length);

    /** Frees the cache tensors. Closing again does nothing. */
    @Override
    void close();
}
