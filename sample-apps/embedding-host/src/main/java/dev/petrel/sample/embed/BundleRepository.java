package dev.petrel.sample.embed;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Finds bundle jars by Maven coordinates in a local Maven repository ({@code
 * -Dmaven.repo.local}, else {@code ~/.m2/repository}). Inside a build of the Petrel reactor
 * ({@code -Dpetrel.reactor} names its root) the jars the build just packaged in the modules'
 * {@code target} folders come first, so that no {@code mvn install} is needed and no older
 * installed copy is used. A host that ships its bundles in another way replaces this class.
 */
public final class BundleRepository {

    /** Module folders lie at most this deep below the reactor root ({@code bundles/NAME/target/JAR}). */
    private static final int REACTOR_DEPTH = 4;

    private final Path root;
    private final Path reactor;

    BundleRepository(Path root, Path reactor) {
        this.root = root;
        this.reactor = reactor;
    }

    public static BundleRepository localMaven() {
        String configured = System.getProperty("maven.repo.local");
        String reactor = System.getProperty("petrel.reactor");
        return new BundleRepository(configured != null && !configured.isBlank()
                ? Path.of(configured)
                : Path.of(System.getProperty("user.home"), ".m2", "repository"),
                reactor != null && !reactor.isBlank() ? Path.of(reactor) : null);
    }

    /** The jar of {@code groupId:artifactId:version}. */
    Path locate(String coordinates) throws IOException {
        String[] gav = coordinates.split(":");
        if (gav.length != 3) {
            throw new IOException("bundle id '" + coordinates + "' is not groupId:artifactId:version");
        }
        String name = gav[1] + "-" + gav[2] + ".jar";
        if (reactor != null && Files.isDirectory(reactor)) {
            try (var found = Files.find(reactor, REACTOR_DEPTH, (path, attributes) -> attributes.isRegularFile()
                    && path.getFileName().toString().equals(name) && path.getParent().getFileName().toString()
                            .equals("target"))) {
                Optional<Path> built = found.findFirst();
                if (built.isPresent()) {
                    return built.get();
                }
            }
        }
        Path jar = root.resolve(gav[0].replace('.', '/')).resolve(gav[1]).resolve(gav[2])
                .resolve(gav[1] + "-" + gav[2] + ".jar");
        if (!Files.isRegularFile(jar)) {
            throw new IOException("bundle " + coordinates + " not found at " + jar + " (build with: mvn install)");
        }
        return jar;
    }
}
