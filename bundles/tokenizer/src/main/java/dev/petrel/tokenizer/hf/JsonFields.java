package dev.petrel.tokenizer.hf;

import com.fasterxml.jackson.databind.JsonNode;
import dev.petrel.api.ModelFormatException;
import java.util.Optional;

/**
 * Typed reads of JSON fields that fail with a {@link ModelFormatException} naming the file
 * and the field's path, so a bad tokenizer.json says where it is bad.
 */
final class JsonFields {

    private final String file;

    JsonFields(String file) {
        this.file = file;
    }

    String file() {
        return file;
    }

    ModelFormatException error(String path, String problem) {
        return new ModelFormatException(file, path, problem);
    }

    ModelFormatException error(String path, String problem, Throwable cause) {
        return new ModelFormatException(file, path, problem, cause);
    }

    JsonNode require(JsonNode parent, String name, String path) {
        JsonNode node = parent.get(name);
        if (node == null || node.isNull()) {
            throw error(path, "required field is missing");
        }
        return node;
    }

    String string(JsonNode parent, String name, String path) {
        JsonNode node = require(parent, name, path);
        if (!node.isTextual()) {
            throw error(path, "expected a string, found " + node.getNodeType());
        }
        return node.asText();
    }

    Optional<String> optionalString(JsonNode parent, String name, String path) {
        JsonNode node = parent.get(name);
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (!node.isTextual()) {
            throw error(path, "expected a string, found " + node.getNodeType());
        }
        return Optional.of(node.asText());
    }

    boolean bool(JsonNode parent, String name, boolean fallback, String path) {
        JsonNode node = parent.get(name);
        if (node == null || node.isNull()) {
            return fallback;
        }
        if (!node.isBoolean()) {
            throw error(path, "expected true or false, found " + node.getNodeType());
        }
        return node.asBoolean();
    }

    int integer(JsonNode parent, String name, String path) {
        JsonNode node = require(parent, name, path);
        if (!node.canConvertToInt()) {
            throw error(path, "expected an integer, found " + node);
        }
        return node.asInt();
    }

    JsonNode array(JsonNode parent, String name, String path) {
        JsonNode node = require(parent, name, path);
        if (!node.isArray()) {
            throw error(path, "expected an array, found " + node.getNodeType());
        }
        return node;
    }
}
