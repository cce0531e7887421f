package dev.petrel.api.weights;

import dev.petrel.api.ModelFormatException;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Key/value metadata of a model (GGUF key/values, or a Hugging Face config.json flattened
 * to the same vocabulary by its loader).
 *
 * <p>Values are plain Java objects: {@link Integer} (8, 16 and signed 32-bit integers),
 * {@link Long} (unsigned 32-bit and 64-bit integers; unsigned 64-bit values keep their
 * bits), {@link Float}, {@link Double}, {@link Boolean}, {@link String}, and for arrays a
 * primitive array ({@code int[]}, {@code long[]}, {@code float[]}, {@code double[]},
 * {@code boolean[]} with the same element rules), a {@code List<String>} or, for arrays
 * of arrays, a {@code List<Object>} of such arrays. Arrays are shared: do not modify them.
 *
 * <p>The typed getters throw {@link ModelFormatException} naming the source and the key
 * when a required key is missing or has another type.
 */
public interface Metadata {

    /** The file or folder the metadata was read from, for messages. */
    String source();

    /** Keys in the order the source lists them. */
    Set<String> keys();

    /** The raw value of a key. */
    Optional<Object> find(String key);

    default boolean contains(String key) {
        return find(key).isPresent();
    }

    default Object require(String key) {
        return find(key).orElseThrow(() -> new ModelFormatException(source(), key, "required key is missing"));
    }

    default String string(String key) {
        Object v = require(key);
        if (v instanceof String s) {
            return s;
        }
        throw wrongType(key, "a string", v);
    }

    default Optional<String> optionalString(String key) {
        return contains(key) ? Optional.of(string(key)) : Optional.empty();
    }

    /** An integer value of any width. */
    default long integer(String key) {
        Object v = require(key);
        if (v instanceof Integer || v instanceof Long) {
            return ((Number) v).longValue();
        }
        throw wrongType(key, "an integer", v);
    }

    default long integer(String key, long fallback) {
        return contains(key) ? integer(key) : fallback;
    }

    /** A numeric value of any type, as a double. */
    default double number(String key) {
        Object v = require(key);
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        throw wrongType(key, "a number", v);
    }

    default double number(String key, double fallback) {
        return contains(key) ? number(key) : fallback;
    }

    default boolean bool(String key, boolean fallback) {
        if (!contains(key)) {
            return fallback;
        }
        Object v = require(key);
        if (v instanceof Boolean b) {
            return b;
        }
        throw wrongType(key, "a boolean", v);
    }

    /** An array of strings. */
    @SuppressWarnings("unchecked")
    default List<String> strings(String key) {
        Object v = require(key);
        if (v instanceof List<?> list && list.stream().allMatch(e -> e instanceof String)) {
            return (List<String>) list;
        }
        throw wrongType(key, "an array of strings", v);
    }

    /** An array of 32-bit floats. */
    default float[] floats(String key) {
        Object v = require(key);
        if (v instanceof float[] f) {
            return f;
        }
        throw wrongType(key, "an array of float32", v);
    }

    /** An array of integers that fit in 32 bits (int8 to int32). */
    default int[] ints(String key) {
        Object v = require(key);
        if (v instanceof int[] i) {
            return i;
        }
        throw wrongType(key, "an array of integers of at most 32 bits", v);
    }

    private ModelFormatException wrongType(String key, String expected, Object actual) {
        String was = actual == null ? "nothing" : actual.getClass().getSimpleName();
        return new ModelFormatException(source(), key, "expected " + expected + ", found " + was);
    }
}
