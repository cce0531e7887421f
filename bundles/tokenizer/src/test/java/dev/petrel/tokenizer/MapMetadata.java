package dev.petrel.tokenizer;

import dev.petrel.api.weights.Metadata;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Metadata held in a map, to build small or broken tokenizer descriptions in tests. */
public final class MapMetadata implements Metadata {

    private final String source;
    private final Map<String, Object> values = new LinkedHashMap<>();

    public MapMetadata(String source) {
        this.source = source;
    }

    /** A copy of {@code other}'s keys and values, to change a few of them. */
    public static MapMetadata copyOf(Metadata other) {
        MapMetadata copy = new MapMetadata(other.source());
        for (String key : other.keys()) {
            copy.values.put(key, other.find(key).orElseThrow());
        }
        return copy;
    }

    public MapMetadata with(String key, Object value) {
        values.put(key, value);
        return this;
    }

    public MapMetadata without(String key) {
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
