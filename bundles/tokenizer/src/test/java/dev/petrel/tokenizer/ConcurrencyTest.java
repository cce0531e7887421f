package dev.petrel.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.petrel.api.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** One tokenizer shared by several threads gives each the ids it gives alone. */
class ConcurrencyTest {

    static Stream<Path> tokenizers() {
        return Stream.of(
                TestData.tokenizers().resolve("gguf-vocab/ggml-vocab-llama-spm.gguf"),
                TestData.tokenizers().resolve("hf-qwen3"));
    }

    @ParameterizedTest
    @MethodSource("tokenizers")
    void encode_fromManyThreads_matchesSequentialResults(Path source) throws Exception {
        Tokenizer tokenizer = source.toString().endsWith(".gguf")
                ? GgufTokenizers.read(source) : AllTokenizers.readHuggingFace(source);
        RandomText random = new RandomText(5);
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            texts.add(random.nextNfc(40));
        }
        Tokenizer reference = source.toString().endsWith(".gguf")
                ? GgufTokenizers.read(source) : AllTokenizers.readHuggingFace(source);
        List<int[]> expected = texts.stream().map(reference::encode).toList();
        try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
            List<Future<List<int[]>>> results = new ArrayList<>();
            for (int thread = 0; thread < 4; thread++) {
                results.add(pool.submit(() -> texts.stream().map(tokenizer::encode).toList()));
            }
            for (Future<List<int[]>> result : results) {
                List<int[]> actual = result.get();
                for (int i = 0; i < texts.size(); i++) {
                    assertArrayEquals(expected.get(i), actual.get(i), texts.get(i));
                }
            }
        }
    }
}
