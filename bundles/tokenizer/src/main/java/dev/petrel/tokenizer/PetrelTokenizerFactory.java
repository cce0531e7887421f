package dev.petrel.tokenizer;

import dev.petrel.api.tokenizer.Tokenizer;
import dev.petrel.api.tokenizer.TokenizerFactory;
import dev.petrel.api.weights.Metadata;
import dev.petrel.tokenizer.gguf.GgufTokenizerReader;
import dev.petrel.tokenizer.hf.HfTokenizerReader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;
import org.osgi.service.component.annotations.Component;

/** The tokenizer service: byte-level BPE and SentencePiece from GGUF metadata or a Hugging Face folder. */
@Component(service = TokenizerFactory.class)
public final class PetrelTokenizerFactory implements TokenizerFactory {

    @Override
    public Tokenizer fromMetadata(Metadata metadata) {
        return GgufTokenizerReader.read(Objects.requireNonNull(metadata, "metadata"));
    }

    @Override
    public Tokenizer fromHuggingFace(Path folder) throws IOException {
        return HfTokenizerReader.read(Objects.requireNonNull(folder, "folder"));
    }
}
