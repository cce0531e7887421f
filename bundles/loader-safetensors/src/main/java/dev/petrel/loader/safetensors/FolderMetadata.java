package dev.petrel.loader.safetensors;

import dev.petrel.api.weights.Metadata;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** config.json translated to GGUF keys: an ordered map of plain values, as {@link Metadata} describes them. */
final class FolderMetadata implements Metadata {

    private final String source;
    private final Map<String, Object> values;

    FolderMetadata(String source, Map<String, Object> values) {
        this.source = source;
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    @Override
    public String source() {
        return source;
    }

    @Override
    public Set<String> keys() {
        return values.keySet();
    }

    @Override
    public Optional<Object> find(String key) {
        return Optional.ofNullable(values.get(key));
    }

    @Override
    public String toString() {
        return "metadata of " + source + " " + values;
    }
}
