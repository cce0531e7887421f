package dev.petrel.api.experts;

import dev.petrel.api.kernel.ComputeStream;
import dev.petrel.api.kernel.Tensor;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The mixture-of-experts feed-forward layer, as a service. Stateless and thread-safe.
 *
 * <p>Per token: router logits {@code router x}, experts chosen and weighted as
 * {@link dev.petrel.api.kernel.MoeRouting} describes, each chosen expert's SwiGLU network
 * applied, their outputs summed with the routing weights, plus the shared experts' output
 * (scaled by {@code sigmoid(sharedGate . x)} when there is a shared gate). Like ggml, every
 * quantized matmul quantizes its activations to the weight's dot type first: routing is
 * sensitive to it, and agreeing with llama.cpp depends on it.
 */
@ProviderType
public interface Experts {

    /**
     * Enqueues the router alone (tests and inspection use it to see the choice).
     *
     * @param x the normalised hidden state {@code {n_embd, T}}
     * @param ids out: I32 {@code {K, T}}, the chosen experts of each token, best first
     * @param routeWeights out: F32 {@code {K, T}}, their weights
     */
    void route(ComputeStream stream, MoeConfig config, MoeWeights weights, Tensor x, Tensor ids, Tensor routeWeights);

    /**
     * Enqueues the whole layer.
     *
     * @param x the normalised hidden state {@code {n_embd, T}}
     * @param out {@code {n_embd, T}}, before the residual add
     */
    void forward(ComputeStream stream, MoeConfig config, MoeWeights weights, Tensor x, Tensor out);
}
