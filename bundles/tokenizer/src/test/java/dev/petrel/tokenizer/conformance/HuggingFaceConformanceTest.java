package dev.petrel.tokenizer.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.petrel.api.tokenizer.Tokenizer;
import dev.petrel.tokenizer.PetrelTokenizerFactory;
import dev.petrel.tokenizer.TestData;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every hf-* folder: each text of expected-ids.json encodes to exactly the reference ids. */
class HuggingFaceConformanceTest {

    private static final Map<Path, Tokenizer> TOKENIZERS = new ConcurrentHashMap<>();
    private static final ConformanceTally TALLY = new ConformanceTally();

    static Stream<Arguments> cases() throws IOException {
        List<Arguments> cases = new ArrayList<>();
        try (Stream<Path> folders = Files.list(TestData.tokenizers())) {
            for (Path folder : folders.filter(p -> p.getFileName().toString().startsWith("hf-")).sorted().toList()) {
                JsonNode expected = new ObjectMapper().readTree(folder.resolve("expected-ids.json").toFile());
                for (int i = 0; i < expected.size(); i++) {
                    JsonNode c = expected.get(i);
                    int[] ids = new int[c.get("ids").size()];
                    for (int j = 0; j < ids.length; j++) {
                        ids[j] = c.get("ids").get(j).asInt();
                    }
                    String name = folder.getFileName() + " #" + i + " " + Printable.of(c.get("text").asText());
                    cases.add(Arguments.argumentSet(name, folder, c.get("text").asText(), ids));
                }
            }
        }
        if (cases.isEmpty()) {
            throw new IllegalStateException("no hf-* folders in " + TestData.tokenizers());
        }
        return cases.stream();
    }

    @ParameterizedTest
    @MethodSource("cases")
    void encode_matchesReferenceIds(Path folder, String text, int[] expected) {
        Tokenizer tokenizer = TOKENIZERS.computeIfAbsent(folder, f -> {
            try {
                return new PetrelTokenizerFactory().fromHuggingFace(f);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        int[] actual = tokenizer.encode(text);
        TALLY.record(folder.getFileName().toString(), java.util.Arrays.equals(expected, actual));
        assertArrayEquals(expected, actual, () -> "text " + Printable.of(text));
    }

    @AfterAll
    static void printTally() {
        System.out.println(TALLY.table());
    }
}
