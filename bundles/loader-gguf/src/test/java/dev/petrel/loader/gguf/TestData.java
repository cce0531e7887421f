package dev.petrel.loader.gguf;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds the shared test data: the system property {@code petrel.testdata} (set by the build),
 * else the environment variable {@code PETREL_TESTDATA}, else {@code ../shared/testdata} next
 * to the repository root. Missing data fails the test; it is never skipped silently.
 */
final class TestData {

    private TestData() {
    }

    static Path root() {
        String configured = System.getProperty("petrel.testdata", System.getenv("PETREL_TESTDATA"));
        Path root = configured != null ? Path.of(configured) : repositoryRoot().resolve("../shared/testdata");
        root = root.toAbsolutePath().normalize();
        if (!Files.isDirectory(root)) {
            throw new IllegalStateException("test data folder " + root + " does not exist; set -Dpetrel.testdata "
                    + "or PETREL_TESTDATA to the folder that holds tokenizers/gguf-vocab");
        }
        return root;
    }

    static Path ggufVocab(String name) {
        Path file = root().resolve("tokenizers/gguf-vocab").resolve(name);
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException("test file " + file + " is missing");
        }
        return file;
    }

    /** The nearest folder above the working directory that has the reactor's bundles folder. */
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
