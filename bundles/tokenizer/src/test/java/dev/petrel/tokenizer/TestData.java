package dev.petrel.tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the shared tokenizer test data lies: system property {@code petrel.testdata} (set by
 * the build), else environment variable {@code PETREL_TESTDATA}, else {@code ../shared/testdata}
 * beside the repository. Missing data fails the test naming the path, never skips it.
 */
public final class TestData {

    private TestData() {}

    public static Path root() {
        String property = System.getProperty("petrel.testdata");
        String env = System.getenv("PETREL_TESTDATA");
        Path root;
        String how;
        if (property != null && !property.isBlank()) {
            root = Path.of(property);
            how = "system property petrel.testdata";
        } else if (env != null && !env.isBlank()) {
            root = Path.of(env);
            how = "environment variable PETREL_TESTDATA";
        } else {
            root = repositoryRoot().resolve("../shared/testdata").normalize();
            how = "the default ../shared/testdata beside the repository";
        }
        if (!Files.isDirectory(root.resolve("tokenizers"))) {
            throw new IllegalStateException("tokenizer test data not found: looked for "
                    + root.toAbsolutePath().resolve("tokenizers") + " (from " + how + ")");
        }
        return root;
    }

    public static Path tokenizers() {
        return root().resolve("tokenizers");
    }

    /** The reactor root: the nearest folder up from here that holds bundles/ and pom.xml. */
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
