package dev.petrel.api.tokenizer;

import dev.petrel.api.weights.Metadata;
import java.io.IOException;
import java.nio.file.Path;
import org.osgi.annotation.versioning.ProviderType;

/** Builds tokenizers. Registered as a service by the tokenizer bundle. */
@ProviderType
public interface TokenizerFactory {

    /**
     * A tokenizer from GGUF metadata: {@code tokenizer.ggml.model}, {@code .pre},
     * {@code .tokens}, {@code .scores}, {@code .token_type}, {@code .merges} and the special
     * token ids and flags.
     *
     * @throws dev.petrel.api.ModelFormatException naming the key that is missing or wrong
     */
    Tokenizer fromMetadata(Metadata metadata);

    /**
     * A tokenizer from a Hugging Face folder holding {@code tokenizer.json} and, optionally,
     * {@code tokenizer_config.json} (BOS/EOS handling and the chat template).
     *
     * @throws dev.petrel.api.ModelFormatException naming the file and field that is wrong
     * @throws IOException if the files cannot be read
     */
    Tokenizer fromHuggingFace(Path folder) throws IOException;
}
