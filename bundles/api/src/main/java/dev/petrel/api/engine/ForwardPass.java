package dev.petrel.api.engine;

import dev.petrel.api.attention.KvCache;
import dev.petrel.api.kernel.ComputeStream;
import dev.petrel.api.kernel.KernelBackend;
import dev.petrel.api.kernel.Tensor;
import dev.petrel.api.weights.TensorType;
import org.osgi.annotation.versioning.ProviderType;

/**
 * One architecture's forward pass with its weights placed on one backend: what a
 * {@link ModelArchitecture} builds. The engine runs sessions, sampling and backend swaps on
 * top of it. Thread-safe: sessions share it, each with its own stream and cache.
 */
@ProviderType
public interface ForwardPass extends AutoCloseable {

    ModelConfig config();

    /** The backend holding the weights. */
    KernelBackend backend();

    /** A zeroed KV cache for one session on this pass's backend. */
    KvCache createCache(int contextLength, TensorType type);

    /**
     * Enqueues the forward pass of {@code tokens} at positions
     * {@code [position0, position0 + T)} as one batch: embedding, every layer (norm,
     * attention writing the cache, norm, FFN or MoE, residuals), final norm and output.
     *
     * @param cache holds positions {@code [0, position0)} of this sequence; gains the batch's
     * @param logits out: {@code {vocab, 1}} for the last token's logits, or {@code {vocab, T}}
     *        for every token's (teacher-forced comparisons)
     * @throws IllegalArgumentException if an id is outside the vocabulary or the batch does not
     *         fit the cache
     */
    void forward(ComputeStream stream, KvCache cache, int[] tokens, int position0, Tensor logits);

    /**
     * The same pass with its weights placed on {@code target}, uploaded again from the weight
     * source (in place on a host-memory backend). This pass stays open; the caller closes it
     * once no session uses it.
     */
    ForwardPass moveTo(KernelBackend target);

    /** Bytes of all weights on the backend. */
    long weightBytes();

    /**
     * Bytes of weights read per generated token: all of them for a dense model; for MoE the
     * dense part, the shared experts and {@code used} routed experts per layer. Memory
     * bandwidth divided by this bounds decode speed.
     */
    long activeWeightBytesPerToken();

    /** Frees the weights on the backend (the weight source stays open). */
    @Override
    void close();
}
