package dev.petrel.api.engine;

import dev.petrel.api.tokenizer.Tokenizer;
import org.osgi.annotation.versioning.ProviderType;

/**
 * A loaded model: weights placed on a kernel backend, its tokenizer and config. Thread-safe.
 */
@ProviderType
public interface Model extends AutoCloseable {

    /** The file or folder it was loaded from. */
    String location();

    ModelConfig config();

    /** {@code general.architecture}. */
    default String architecture() {
        return config().architecture();
    }

    Tokenizer tokenizer();

    /** Logits per token. */
    default int vocabularySize() {
        return config().vocabularySize();
    }

    /** Positions of each session's context (the load option, or the model's default). */
    int contextLength();

    /** The {@code kernel} name of the backend its weights are on now. */
    String backend();

    /** Bytes of all weights. */
    long weightBytes();

    /** Bytes of weights read per generated token (the routed experts' share only, for MoE). */
    long activeWeightBytesPerToken();

    /** A new empty session with its own KV cache. */
    Session openSession();

    /**
     * Closes the open sessions, frees the weights on the backend and closes the weight source
     * when the engine opened it. Closing again does nothing.
     */
    @Override
    void close();
}
