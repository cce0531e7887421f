package dev.petrel.shell;

import dev.petrel.api.PetrelException;
import dev.petrel.api.weights.WeightSource;
import dev.petrel.api.weights.WeightSourceProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.stream.Collectors;

/** Opens a model path with whichever registered provider accepts it. */
final class WeightSources {

    private WeightSources() {
    }

    static WeightSource open(Collection<WeightSourceProvider> providers, Path path) {
        if (!Files.exists(path)) {
            throw new PetrelException(path + ": no such file or folder");
        }
        for (WeightSourceProvider provider : providers) {
            if (provider.accepts(path)) {
                try {
                    return provider.open(path);
                } catch (IOException e) {
                    throw new UncheckedIOException(path + ": " + e.getMessage(), e);
                }
            }
        }
        String known = providers.stream().map(WeightSourceProvider::format).sorted().collect(Collectors.joining(", "));
        throw new PetrelException(path + ": not a model file of a known format (installed readers: "
                + (known.isEmpty() ? "none" : known) + ")");
    }
}
