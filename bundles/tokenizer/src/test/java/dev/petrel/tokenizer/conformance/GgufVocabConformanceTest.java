package dev.petrel.tokenizer.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.petrel.api.tokenizer.Tokenizer;
import dev.petrel.tokenizer.GgufTokenizers;
import dev.petrel.tokenizer.TestData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every gguf-vocab/*.gguf: each string of NAME.gguf.inp (separated by the line
 * {@code __ggml_vocab_test__}) encodes, without BOS/EOS, to the ids on the same line of
 * NAME.gguf.out, which llama.cpp itself produces.
 */
class GgufVocabConformanceTest {

    private static final String SEPARATOR = "\n__ggml_vocab_test__\n";
    private static final ConformanceTally TALLY = new ConformanceTally();

    static Stream<Arguments> cases() throws IOException {
        Path folder = TestData.tokenizers().resolve("gguf-vocab");
        List<Arguments> cases = new ArrayList<>();
        try (Stream<Path> files = Files.list(folder)) {
            for (Path gguf : files.filter(p -> p.toString().endsWith(".gguf")).sorted().toList()) {
                String[] inputs = Files.readString(Path.of(gguf + ".inp"), StandardCharsets.UTF_8).split(SEPARATOR, -1);
                String[] outputs = Files.readString(Path.of(gguf + ".out"), StandardCharsets.UTF_8).split("\n", -1);
                assertEquals(inputs.length, outputs.length, gguf + ": .inp and .out differ in case count");
                for (int i = 0; i < inputs.length; i++) {
                    String name = gguf.getFileName() + " #" + i + " " + Printable.of(inputs[i]);
                    cases.add(Arguments.argumentSet(name, gguf, inputs[i], parseIds(outputs[i])));
                }
            }
        }
        if (cases.isEmpty()) {
            throw new IllegalStateException("no .gguf files in " + folder);
        }
        return cases.stream();
    }

    private static int[] parseIds(String line) {
        String trimmed = line.strip();
        return trimmed.isEmpty() ? new int[0] : Arrays.stream(trimmed.split("\\s+")).mapToInt(Integer::parseInt).toArray();
    }

    @ParameterizedTest
    @MethodSource("cases")
    void encode_matchesLlamaCppIds(Path gguf, String text, int[] expected) {
        Tokenizer tokenizer = GgufTokenizers.load(gguf);
        int[] actual = tokenizer.encode(text);
        TALLY.record(gguf.getFileName().toString(), Arrays.equals(expected, actual));
        assertArrayEquals(expected, actual, () -> "text " + Printable.of(text) + " got " + Arrays.toString(actual));
    }

    @AfterAll
    static void printTally() {
        System.out.println(TALLY.table());
    }
}
