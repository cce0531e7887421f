package dev.petrel.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.petrel.api.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Guards against quadratic behaviour and slow loading. Bounds are loose (a shared two-core
 * machine); EncodeBenchmark measures throughput.
 */
class PerformanceTest {

    private static final long LONG_RUN_MILLIS = 1_500;
    private static final long LOAD_MILLIS = 3_000;

    static Stream<Arguments> tokenizers() {
        return AllTokenizers.sources().stream().map(p -> Arguments.argumentSet(AllTokenizers.name(p), p));
    }

    private static String lettersWithoutSpaces(int length) {
        Random random = new Random(3);
        StringBuilder out = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            out.append((char) ('a' + random.nextInt(26)));
        }
        return out.toString();
    }

    @ParameterizedTest
    @MethodSource("tokenizers")
    void encode_of100KbWithoutSpaces_takesWellUnderASecond(Path source) {
        Tokenizer tokenizer = AllTokenizers.load(source);
        tokenizer.encode(lettersWithoutSpaces(1_000));
        for (String text : new String[] {lettersWithoutSpaces(100_000), "a".repeat(100_000), " ".repeat(100_000), "漢字".repeat(50_000)}) {
            long start = System.nanoTime();
            int[] ids = tokenizer.encode(text);
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(millis < LONG_RUN_MILLIS, "100 KB took " + millis + " ms");
            assertEquals(text, tokenizer.decode(ids));
        }
    }

    @Test
    void fromHuggingFace_of150kVocabulary_loadsInAboutASecond() {
        Path qwen = TestData.tokenizers().resolve("hf-qwen3");
        AllTokenizers.readHuggingFace(qwen);
        long start = System.nanoTime();
        Tokenizer tokenizer = AllTokenizers.readHuggingFace(qwen);
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(tokenizer.vocabularySize() > 150_000);
        assertTrue(millis < LOAD_MILLIS, "loading took " + millis + " ms");
    }
}
