package dev.petrel.api.attention;

import dev.petrel.api.kernel.ComputeStream;
import dev.petrel.api.kernel.KernelBackend;
import dev.petrel.api.kernel.Tensor;
import dev.petrel.api.weights.TensorType;
import org.osgi.annotation.versioning.ProviderType;

/**
 * One way to compute a layer's attention, enqueued on a {@link ComputeStream}. Registered as
 * a service with the property {@link #ATTENTION} ({@code gqa}, {@code mla-naive},
 * {@code mla-absorbed}). Stateless and thread-safe: all state is in the cache and the
 * stream.
 */
@ProviderType
public interface AttentionStrategy {

    /** Service property naming the strategy. */
    String ATTENTION = "attention";

    /** The strategy's name, equal to its {@link #ATTENTION} property. */
    String name();

    /**
     * Allocates a zeroed cache for {@code layerCount} layers of {@code contextLength}
     * positions on {@code backend}, laid out for this strategy.
     *
     * @param type F32, F16 or BF16
     * @throws IllegalArgumentException if the config does not suit the strategy (MLA config
     *         for {@code gqa}, or the reverse)
     */
    KvCache createCache(KernelBackend backend, AttentionConfig config, int layerCount, int contextLength,
            TensorType type);

    /**
     * Enqueues one layer's attention for a batch of {@code T} tokens at positions
     * {@code [position0, position0 + T)}: projects {@code x} to queries, keys and values,
     * applies norms and RoPE, writes the batch's keys and values to the cache at those
     * positions, attends causally over positions {@code [0, position0 + T)} and projects the
     * result back. Positions before {@code position0} must already be in the cache.
     *
     * @param weights {@link AttentionWeights.Gqa} for {@code gqa}, {@link AttentionWeights.Mla}
     *        for the MLA strategies
     * @param x the normalised hidden state {@code {n_embd, T}}, F32
     * @param out {@code {n_embd, T}}: the attention output, before the residual add
     * @throws IllegalArgumentException if weights, config or shapes do not suit the strategy,
     *         or {@code position0 + T} exceeds the cache
     */
    void forward(ComputeStream stream, AttentionConfig config, AttentionWeights weights, KvCache.Layer cache,
            Tensor x, int position0, Tensor out);
}
