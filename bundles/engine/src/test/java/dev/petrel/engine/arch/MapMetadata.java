package dev.petrel.engine.arch;

import dev.petrel.api.weights.Metadata;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Metadata from a map, for config tests. */
final class MapMetadata implements Metadata {

    private final String source;
    private final Map<String, Object> values = new LinkedHashMap<>();

    MapMetadata(String source) {
        this.source = source;
    }

    MapMetadata with(String key, Object value) {
        values.put(key, value);
        return this;
    }

    MapMetadata without(String key) {
        values.remove(key);
        return this;
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
}
