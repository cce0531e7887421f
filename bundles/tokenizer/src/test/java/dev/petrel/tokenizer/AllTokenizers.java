package dev.petrel.tokenizer;

import dev.petrel.api.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/** Every tokenizer of the test data: the gguf-vocab files and the hf-* folders, loaded once. */
public final class AllTokenizers {

    private static final Map<Path, Tokenizer> HF = new ConcurrentHashMap<>();

    private AllTokenizers() {}

    /** The .gguf files and hf-* folders, sorted by name. */
    public static List<Path> sources() {
        Path root = TestData.tokenizers();
        try (Stream<Path> gguf = Files.list(root.resolve("gguf-vocab"));
                Stream<Path> hf = Files.list(root)) {
            return Stream.concat(
                            gguf.filter(p -> p.toString().endsWith(".gguf")),
                            hf.filter(p -> p.getFileName().toString().startsWith("hf-")))
                    .sorted((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String name(Path source) {
        return source.getFileName().toString().replace("ggml-vocab-", "").replace(".gguf", "");
    }

    public static Tokenizer load(Path source) {
        if (source.toString().endsWith(".gguf")) {
            return GgufTokenizers.load(source);
        }
        return HF.computeIfAbsent(source, AllTokenizers::readHuggingFace);
    }

    public static Tokenizer readHuggingFace(Path folder) {
        try {
            return new PetrelTokenizerFactory().fromHuggingFace(folder);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether the tokenizer normalizes text to NFC (so only NFC text round-trips). */
    public static boolean normalizesToNfc(Path source) {
        return source.getFileName().toString().equals("hf-qwen3");
    }
}
