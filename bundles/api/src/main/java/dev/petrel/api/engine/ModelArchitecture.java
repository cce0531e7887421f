package dev.petrel.api.engine;

import dev.petrel.api.kernel.KernelBackend;
import dev.petrel.api.weights.Metadata;
import dev.petrel.api.weights.WeightSource;
import org.osgi.annotation.versioning.ProviderType;

/**
 * A model family, as a service with the property {@link #ARCH} set to the
 * {@code general.architecture} values it handles ({@code llama}, {@code qwen2},
 * {@code qwen3}, {@code deepseek2}, {@code qwen2moe}, ...). A bundle adds a family by
 * registering one; the engine never switches on architecture names.
 *
 * <p>An architecture reads hyperparameters from metadata, checks every tensor against them,
 * and writes its forward pass once against {@link KernelBackend}, using the attention,
 * feed-forward and experts services.
 */
@ProviderType
public interface ModelArchitecture {

    /** Service property: the architecture names handled (a string or an array of strings). */
    String ARCH = "arch";

    /** The primary architecture name. */
    String name();

    /**
     * Reads the hyperparameters from explicit keys.
     *
     * @throws dev.petrel.api.ModelFormatException naming the source and the key that is missing
     *         or out of range
     */
    ModelConfig config(Metadata metadata);

    /**
     * Checks the tensors against the config (names, types, dims) and places the weights on
     * {@code backend}, reading them in place from {@code source} where the backend allows.
     *
     * @param options the attention strategy and cache type to use (context length is the
     *        engine's concern)
     * @throws dev.petrel.api.ModelFormatException naming the tensor that is missing or whose
     *         type or dims disagree with the metadata, and what was expected
     * @throws UnsupportedOperationException if the backend does not support an op or a weight
     *         type the model needs, naming it
     */
    ForwardPass load(WeightSource source, ModelConfig config, LoadOptions options, KernelBackend backend);
}
