package dev.petrel.loader.gguf;

import dev.petrel.api.ModelFormatException;
import dev.petrel.api.weights.Metadata;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The key/value metadata of a GGUF file, in file order, with the exact GGUF type of every
 * value next to its plain Java value.
 *
 * <p>Keys must be valid UTF-8 (the reader rejects a file whose keys are not). String values
 * need not be: bytes that are not UTF-8 are read as U+FFFD, so such a value does not survive a
 * round trip byte for byte; the vocabularies of common models are valid UTF-8.
 */
public final class GgufMetadata implements Metadata {

    private final String source;
    private final Map<String, GgufValue> values;

    /** Takes ownership of {@code values}, an insertion-ordered map. */
    GgufMetadata(String source, LinkedHashMap<String, GgufValue> values) {
        this.source = source;
        this.values = Collections.unmodifiableMap(values);
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
        return typed(key).map(GgufValue::value);
    }

    /** The value of a key with its GGUF type. */
    public Optional<GgufValue> typed(String key) {
        return Optional.ofNullable(values.get(key));
    }

    /** The GGUF type of a key ({@link GgufValueType#ARRAY} for arrays). */
    public GgufValueType type(String key) {
        return requireTyped(key).type();
    }

    /** The element type of an array key; empty when the key holds a single value. */
    public Optional<GgufValueType> elementType(String key) {
        return requireTyped(key).elementType();
    }

    /** Every key with its typed value, in file order. */
    public Map<String, GgufValue> values() {
        return values;
    }

    private GgufValue requireTyped(String key) {
        return typed(key).orElseThrow(() -> new ModelFormatException(source, key, "required key is missing"));
    }

    @Override
    public String toString() {
        return "GgufMetadata[" + source + ", " + values.size() + " keys]";
    }
}
