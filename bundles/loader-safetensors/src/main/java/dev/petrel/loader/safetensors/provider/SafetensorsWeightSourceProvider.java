package dev.petrel.loader.safetensors.provider;

import dev.petrel.api.weights.WeightSource;
import dev.petrel.api.weights.WeightSourceProvider;
import dev.petrel.loader.safetensors.HfModelFolder;
import java.io.IOException;
import java.nio.file.Path;
import org.osgi.service.component.annotations.Component;

/** Offers Hugging Face model folders as the {@code format=safetensors} weight source service. */
@Component(property = WeightSourceProvider.FORMAT + "=" + HfModelFolder.FORMAT)
public final class SafetensorsWeightSourceProvider implements WeightSourceProvider {

    @Override
    public String format() {
        return HfModelFolder.FORMAT;
    }

    /** A folder with config.json and model.safetensors or its shard index. */
    @Override
    public boolean accepts(Path path) {
        return HfModelFolder.looksLikeModelFolder(path);
    }

    @Override
    public WeightSource open(Path path) throws IOException {
        return HfModelFolder.open(path);
    }
}
