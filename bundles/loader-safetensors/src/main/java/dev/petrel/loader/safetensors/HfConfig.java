package dev.petrel.loader.safetensors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.petrel.api.ModelFormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A JSON file of a model folder (config.json, the shard index) with typed getters whose errors
 * name the file and the key.
 */
final class HfConfig {

    /** JSON files of a folder are small; anything larger is not what it claims to be. */
    static final long MAX_JSON_BYTES = 64L << 20;

    private final String location;
    private final JsonNode root;

    HfConfig(String location, JsonNode root) {
        this.location = location;
        this.root = root;
    }

    /** Reads a JSON object from {@code file}, bounded in size. */
    static HfConfig read(Path file) throws IOException {
        String location = file.toString();
        long size = Files.size(file);
        if (size > MAX_JSON_BYTES) {
            throw new ModelFormatException(location, "size", size + " bytes; a JSON file of a model folder is at most "
                    + MAX_JSON_BYTES);
        }
        String text;
        try {
            // JSON files are UTF-8; decoding strictly first keeps Jackson from guessing other encodings
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(Files.readAllBytes(file))).toString();
        } catch (CharacterCodingException e) {
            throw new ModelFormatException(location, "content", "expected UTF-8 JSON, found invalid UTF-8");
        }
        JsonNode root;
        try {
            root = SafetensorsFile.JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new ModelFormatException(location, "content", "invalid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new ModelFormatException(location, "content", "expected a JSON object");
        }
        return new HfConfig(location, root);
    }

    String location() {
        return location;
    }

    JsonNode root() {
        return root;
    }

    boolean has(String key) {
        JsonNode n = root.get(key);
        return n != null && !n.isNull();
    }

    JsonNode node(String key) {
        JsonNode n = root.get(key);
        return n == null || n.isNull() ? null : n;
    }

    long integer(String key) {
        JsonNode n = node(key);
        if (n == null) {
            throw error(key, "required key is missing");
        }
        if (!n.isIntegralNumber() || !n.canConvertToLong()) {
            throw error(key, "expected an integer, found " + n);
        }
        return n.longValue();
    }

    /** A count from 1 to Integer.MAX_VALUE. */
    long count(String key) {
        long v = integer(key);
        if (v < 1 || v > Integer.MAX_VALUE) {
            throw error(key, "expected a count from 1 to " + Integer.MAX_VALUE + ", found " + v);
        }
        return v;
    }

    long count(String key, long fallback) {
        return has(key) ? count(key) : fallback;
    }

    /** A count that may be 0 (first_k_dense_replace, n_shared_experts). */
    long nonNegative(String key, long fallback) {
        if (!has(key)) {
            return fallback;
        }
        long v = integer(key);
        if (v < 0 || v > Integer.MAX_VALUE) {
            throw error(key, "expected a count from 0 to " + Integer.MAX_VALUE + ", found " + v);
        }
        return v;
    }

    double number(String key) {
        JsonNode n = node(key);
        if (n == null) {
            throw error(key, "required key is missing");
        }
        if (!n.isNumber()) {
            throw error(key, "expected a number, found " + n);
        }
        return n.doubleValue();
    }

    double number(String key, double fallback) {
        return has(key) ? number(key) : fallback;
    }

    boolean bool(String key, boolean fallback) {
        JsonNode n = node(key);
        if (n == null) {
            return fallback;
        }
        if (!n.isBoolean()) {
            throw error(key, "expected true or false, found " + n);
        }
        return n.booleanValue();
    }

    Optional<String> string(String key) {
        JsonNode n = node(key);
        if (n == null) {
            return Optional.empty();
        }
        if (!n.isTextual()) {
            throw error(key, "expected a string, found " + n);
        }
        return Optional.of(n.textValue());
    }

    /** A nested object ({@code rope_scaling}, {@code quantization_config}), if present. */
    Optional<HfConfig> object(String key) {
        JsonNode n = node(key);
        if (n == null) {
            return Optional.empty();
        }
        if (!n.isObject()) {
            throw error(key, "expected an object, found " + n.getNodeType());
        }
        return Optional.of(new HfConfig(location + " (" + key + ")", n));
    }

    ModelFormatException error(String key, String problem) {
        return new ModelFormatException(location, key, problem);
    }
}
