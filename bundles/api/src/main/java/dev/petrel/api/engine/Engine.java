package dev.petrel.api.engine;

import dev.petrel.api.weights.WeightSource;
import java.io.IOException;
import java.nio.file.Path;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Loads models onto the current kernel backend and keeps them there: the engine binds the
 * highest-ranked {@link dev.petrel.api.kernel.KernelBackend} (or the one configuration pins)
 * and moves models and sessions when it changes.
 */
@ProviderType
public interface Engine {

    /** Loads with {@link LoadOptions#DEFAULTS}. */
    default Model load(Path path) throws IOException {
        return load(path, LoadOptions.DEFAULTS);
    }

    /**
     * Opens {@code path} (a GGUF file, or a Hugging Face folder) with the weight source
     * provider that accepts it, builds its tokenizer (from GGUF metadata, or the folder's
     * tokenizer.json) and its architecture's forward pass. The model owns the weight source.
     *
     * @throws dev.petrel.api.ModelFormatException naming the file and the key or tensor when
     *         the model is invalid or its architecture unknown (listing the known ones)
     * @throws IOException if the file cannot be read
     */
    Model load(Path path, LoadOptions options) throws IOException;

    /**
     * Loads from a source the caller opened (and closes after the model). The tokenizer comes
     * from its metadata, or from the folder {@code source.location()} for safetensors.
     */
    Model load(WeightSource source, LoadOptions options);

    /** A new sampler with these settings. */
    Sampler sampler(SamplerSettings settings);
}
