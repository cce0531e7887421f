package dev.petrel.api.experts;

import dev.petrel.api.kernel.ComputeStream;
import dev.petrel.api.kernel.Tensor;
import org.osgi.annotation.versioning.ProviderType;

/** The dense SwiGLU feed-forward network, as a service. Stateless and thread-safe. */
@ProviderType
public interface FeedForward {

    /**
     * Enqueues {@code out = down(silu(gate x) * up x)}.
     *
     * @param x the normalised hidden state {@code {n_embd, T}}
     * @param out {@code {n_embd, T}}, before the residual add
     */
    void forward(ComputeStream stream, DenseWeights weights, Tensor x, Tensor out);
}
