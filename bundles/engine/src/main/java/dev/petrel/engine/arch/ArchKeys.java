package dev.petrel.engine.arch;

import dev.petrel.api.ModelFormatException;
import dev.petrel.api.weights.Metadata;
import java.util.List;

/**
 * The {@code {arch}.*} keys of one architecture, read with messages that name the file and the
 * key. Counts may be per-layer arrays (as llama.cpp allows) when every layer has the same value.
 */
final class ArchKeys {

    private final Metadata metadata;
    private final String arch;

    ArchKeys(Metadata metadata, String arch) {
        this.metadata = metadata;
        this.arch = arch;
    }

    Metadata metadata() {
        return metadata;
    }

    String arch() {
        return arch;
    }

    /** The full key of {@code suffix}, for example {@code llama.block_count}. */
    String key(String suffix) {
        return arch + "." + suffix;
    }

    boolean has(String suffix) {
        return metadata.contains(key(suffix));
    }

    /** A required count of at least 1. */
    int count(String suffix) {
        String key = key(suffix);
        metadata.require(key);
        return count(suffix, 0);
    }

    /** A count of at least 1, or {@code fallback} when the key is absent. */
    int count(String suffix, int fallback) {
        String key = key(suffix);
        if (!metadata.contains(key)) {
            return fallback;
        }
        long value = switch (metadata.require(key)) {
            case int[] perLayer -> uniform(key, java.util.Arrays.stream(perLayer).asLongStream().toArray());
            case long[] perLayer -> uniform(key, perLayer);
            default -> metadata.integer(key);
        };
        if (value < 1 || value > Integer.MAX_VALUE) {
            throw error(suffix, "expected a count from 1 to " + Integer.MAX_VALUE + ", found " + value);
        }
        return (int) value;
    }

    /** A positive finite number, or {@code fallback} when the key is absent. */
    float positive(String suffix, float fallback) {
        String key = key(suffix);
        float value = (float) metadata.number(key, fallback);
        if (!(value > 0) || !Float.isFinite(value)) {
            throw error(suffix, "expected a positive number, found " + metadata.require(key));
        }
        return value;
    }

    /** A required positive finite number. */
    float positive(String suffix) {
        metadata.require(key(suffix));
        return positive(suffix, 1f);
    }

    ModelFormatException error(String suffix, String problem) {
        return new ModelFormatException(metadata.source(), key(suffix), problem);
    }

    /** The vocabulary size: {@code {arch}.vocab_size}, else the length of the token list. */
    int vocabularySize() {
        if (has("vocab_size")) {
            return count("vocab_size");
        }
        String tokens = "tokenizer.ggml.tokens";
        if (!metadata.contains(tokens)) {
            throw error("vocab_size", "missing, and so is " + tokens + " to count the vocabulary from");
        }
        List<String> list = metadata.strings(tokens);
        if (list.isEmpty()) {
            throw new ModelFormatException(metadata.source(), tokens, "the vocabulary is empty");
        }
        return list.size();
    }

    private long uniform(String key, long[] perLayer) {
        if (perLayer.length == 0) {
            throw new ModelFormatException(metadata.source(), key, "the per-layer array is empty");
        }
        for (long v : perLayer) {
            if (v != perLayer[0]) {
                throw new ModelFormatException(metadata.source(), key,
                        "per-layer values differ (" + java.util.Arrays.toString(perLayer)
                                + "); Petrel supports one value for every layer");
            }
        }
        return perLayer[0];
    }
}
