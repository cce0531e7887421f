package dev.petrel.loader.gguf.provider;

import dev.petrel.api.weights.WeightSource;
import dev.petrel.api.weights.WeightSourceProvider;
import dev.petrel.loader.gguf.GgufFile;
import java.io.IOException;
import java.nio.file.Path;
import org.osgi.service.component.annotations.Component;

/** Offers the GGUF reader as the {@code format=gguf} weight source service. */
@Component(property = WeightSourceProvider.FORMAT + "=" + GgufFile.FORMAT)
public final class GgufWeightSourceProvider implements WeightSourceProvider {

    @Override
    public String format() {
        return GgufFile.FORMAT;
    }

    @Override
    public boolean accepts(Path path) {
        return GgufFile.looksLikeGguf(path);
    }

    @Override
    public WeightSource open(Path path) throws IOException {
        return GgufFile.open(path);
    }
}
