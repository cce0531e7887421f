package dev.petrel.sample.embed;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds bundle jars by Maven coordinates in a local Maven repository ({@code
 * -Dmaven.repo.local}, else {@code ~/.m2/repository}). A host that ships its bundles in
 * another way replaces this class.
 */
public final class BundleRepository {

    private final Path root;

    BundleRepository(Path root) {
        this.root = root;
    }

    public static BundleRepository localMaven() {
        String configured = System.getProperty("maven.repo.local");
        return new BundleRepository(configured != null && !configured.isBlank()
                ? Path.of(configured)
                : Path.of(System.getProperty("user.home"), ".m2", "repository"));
    }

    /** The jar of {@code groupId:artifactId:version}. */
    Path locate(String coordinates) throws IOException {
        String[] gav = coordinates.split(":");
        if (gav.length != 3) {
            throw new IOException("bundle id '" + coordinates + "' is not groupId:artifactId:version");
        }
        Path jar = root.resolve(gav[0].replace('.', '/')).resolve(gav[1]).resolve(gav[2])
                .resolve(gav[1] + "-" + gav[2] + ".jar");
        if (!Files.isRegularFile(jar)) {
            throw new IOException("bundle " + coordinates + " not found at " + jar + " (build with: mvn install)");
        }
        return jar;
    }
}
