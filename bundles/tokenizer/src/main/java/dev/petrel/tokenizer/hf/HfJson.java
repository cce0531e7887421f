package dev.petrel.tokenizer.hf;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads a JSON file, reporting malformed JSON as a format error of that file. */
final class HfJson {

    private HfJson() {}

    static JsonNode readTree(ObjectMapper mapper, Path file, JsonFields json) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            JsonNode root = mapper.readTree(in);
            if (root == null || !root.isObject()) {
                throw json.error("(root)", "expected a JSON object");
            }
            return root;
        } catch (JacksonException e) {
            throw json.error("(json)", "malformed JSON: " + e.getOriginalMessage(), e);
        }
    }
}
