package dev.petrel.itests;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds the shared test data: the system property {@code petrel.testdata}, the environment
 * variable {@code PETREL_TESTDATA}, or {@code ../shared/testdata} beside the repository.
 */
final class TestData {

    private TestData() {
    }

    static Path root() {
        String configured = System.getProperty("petrel.testdata", System.getenv("PETREL_TESTDATA"));
        if (configured != null && !configured.isBlank()) {
            return existing(Path.of(configured), "petrel.testdata / PETREL_TESTDATA");
        }
        // The test JVM runs somewhere inside the repository: walk up to the folder holding the launcher script.
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("petrel")) && Files.isDirectory(dir.resolve("bundles"))) {
                return existing(dir.resolveSibling("shared").resolve("testdata"), "../shared/testdata");
            }
        }
        throw new IllegalStateException("test data not found: set -Dpetrel.testdata or PETREL_TESTDATA"
                + " (working directory " + Path.of("").toAbsolutePath() + ")");
    }

    private static Path existing(Path path, String origin) {
        if (!Files.isDirectory(path.resolve("tokenizers"))) {
            throw new IllegalStateException("test data not found at " + path.toAbsolutePath() + " (from " + origin
                    + "): it must hold tokenizers/; see the README's Tests section");
        }
        return path;
    }
}
