package dev.petrel.chat.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The shared test data: system property {@code petrel.testdata} (set by the build), else
 * environment variable {@code PETREL_TESTDATA}, else {@code ../shared/testdata} beside the
 * repository. Missing data fails the test naming the path, never skips it.
 */
final class TestData {

    private TestData() {
    }

    static Path tokenizers() {
        String property = System.getProperty("petrel.testdata");
        String env = System.getenv("PETREL_TESTDATA");
        Path root;
        if (property != null && !property.isBlank()) {
            root = Path.of(property);
        } else if (env != null && !env.isBlank()) {
            root = Path.of(env);
        } else {
            root = repositoryRoot().resolve("../shared/testdata").normalize();
        }
        Path tokenizers = root.resolve("tokenizers");
        if (!Files.isDirectory(tokenizers) && property != null) {
            tokenizers = repositoryRoot().resolve("../shared/testdata/tokenizers").normalize();
        }
        if (!Files.isDirectory(tokenizers)) {
            throw new IllegalStateException("tokenizer test data not found: " + tokenizers.toAbsolutePath());
        }
        return tokenizers;
    }

    /** A field of a tokenizer_config.json: a string, or the content of an AddedToken. */
    static String configString(String model, String field) {
        Path file = tokenizers().resolve("hf-" + model).resolve("tokenizer_config.json");
        try {
            JsonNode value = new ObjectMapper().readTree(file.toFile()).path(field);
            if (value.isObject()) {
                value = value.path("content");
            }
            if (!value.isTextual()) {
                throw new IllegalStateException(file + ": no string field " + field);
            }
            return value.asText();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String resource(String name) {
        try (var in = TestData.class.getResourceAsStream("/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path repositoryRoot() {
        Path dir = Path.of("").toAbsolutePath();
        for (Path d = dir; d != null; d = d.getParent()) {
            if (Files.isDirectory(d.resolve("bundles")) && Files.isRegularFile(d.resolve("pom.xml"))) {
                return d;
            }
        }
        return dir;
    }
}
