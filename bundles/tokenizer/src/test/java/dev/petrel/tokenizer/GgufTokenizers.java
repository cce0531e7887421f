package dev.petrel.tokenizer;

import dev.petrel.api.tokenizer.Tokenizer;
import dev.petrel.loader.gguf.GgufFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Tokenizers of the test vocabulary files, read once through the GGUF loader. */
public final class GgufTokenizers {

    private static final Map<Path, Tokenizer> LOADED = new ConcurrentHashMap<>();

    private GgufTokenizers() {}

    public static Tokenizer load(Path gguf) {
        return LOADED.computeIfAbsent(gguf, GgufTokenizers::read);
    }

    /** Reads without caching, for timing and error tests. */
    public static Tokenizer read(Path gguf) {
        try (GgufFile file = GgufFile.open(gguf)) {
            return new PetrelTokenizerFactory().fromMetadata(file.metadata());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
