package dev.petrel.itests;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds the shared test data: the system property {@code petrel.testdata}, the environment
 * variable {@code PETREL_TESTDATA}, or {@code ../shared/testdata} beside the repository.
 */
public final class TestData {

    private TestData() {
    }

    public static Path root() {
        String configured = System.getProperty("petrel.testdata", System.getenv("PETREL_TESTDATA"));
        if (configured != null && !configured.isBlank()) {
            return existing(Path.of(configured), "petrel.testdata / PETREL_TESTDATA");
        }
        return existing(repositoryRoot().resolveSibling("shared").resolve("testdata"), "../shared/testdata");
    }

    /** The repository: the test JVM runs somewhere inside it, below the launcher script. */
    public static Path repositoryRoot() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("petrel")) && Files.isDirectory(dir.resolve("bundles"))) {
                return dir;
            }
        }
        throw new IllegalStateException("run from inside the repository: no petrel launcher above "
                + Path.of("").toAbsolutePath());
    }

    private static Path existing(Path path, String origin) {
        if (!Files.isDirectory(path.resolve("tokenizers"))) {
            throw new IllegalStateException("test data not found at " + path.toAbsolutePath() + " (from " + origin
                    + "): it must hold tokenizers/; see the README's Tests section");
        }
        return path;
    }
}
