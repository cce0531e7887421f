package dev.petrel.tokenizer.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What tokenizer_config.json and generation_config.json add to tokenizer.json: whether BOS
 * and EOS are added, which tokens they are, the chat template and the ids that end generation.
 * Both files are optional.
 */
record HfTokenizerConfig(
        Optional<Boolean> addBos,
        Optional<Boolean> addEos,
        Optional<String> bosText,
        Optional<String> eosText,
        Optional<String> chatTemplate,
        List<Integer> generationEndIds) {

    static final String CONFIG_FILE = "tokenizer_config.json";
    static final String GENERATION_FILE = "generation_config.json";

    static HfTokenizerConfig read(Path folder, ObjectMapper mapper) throws IOException {
        Path file = folder.resolve(CONFIG_FILE);
        List<Integer> endIds = readGenerationEndIds(folder.resolve(GENERATION_FILE), mapper);
        if (!Files.exists(file)) {
            return new HfTokenizerConfig(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                    Optional.empty(), endIds);
        }
        JsonFields json = new JsonFields(file.toString());
        JsonNode root = HfJson.readTree(mapper, file, json);
        return new HfTokenizerConfig(
                optionalBool(root, "add_bos_token", json),
                optionalBool(root, "add_eos_token", json),
                tokenText(root, "bos_token", json),
                tokenText(root, "eos_token", json),
                chatTemplate(root, json),
                endIds);
    }

    private static Optional<Boolean> optionalBool(JsonNode root, String name, JsonFields json) {
        return root.has(name) && !root.get(name).isNull()
                ? Optional.of(json.bool(root, name, false, name))
                : Optional.empty();
    }

    /** A special token written as its text or as an AddedToken object with a content field. */
    private static Optional<String> tokenText(JsonNode root, String name, JsonFields json) {
        JsonNode node = root.get(name);
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (node.isTextual()) {
            return Optional.of(node.asText());
        }
        if (node.isObject()) {
            return Optional.of(json.string(node, "content", name + ".content"));
        }
        throw json.error(name, "expected a string or an object with content, found " + node.getNodeType());
    }

    /** One template, or a list of named ones of which "default" (else the first) is taken. */
    private static Optional<String> chatTemplate(JsonNode root, JsonFields json) {
        JsonNode node = root.get("chat_template");
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (node.isTextual()) {
            return Optional.of(node.asText());
        }
        if (node.isArray() && !node.isEmpty()) {
            JsonNode chosen = node.get(0);
            for (JsonNode named : node) {
                if ("default".equals(named.path("name").asText())) {
                    chosen = named;
                }
            }
            return Optional.of(json.string(chosen, "template", "chat_template[].template"));
        }
        throw json.error("chat_template", "expected a string or a list of {name, template}");
    }

    private static List<Integer> readGenerationEndIds(Path file, ObjectMapper mapper) throws IOException {
        if (!Files.exists(file)) {
            return List.of();
        }
        JsonFields json = new JsonFields(file.toString());
        JsonNode node = HfJson.readTree(mapper, file, json).get("eos_token_id");
        List<Integer> ids = new ArrayList<>();
        if (node != null && node.canConvertToInt()) {
            ids.add(node.asInt());
        } else if (node != null && node.isArray()) {
            node.forEach(id -> ids.add(id.asInt()));
        }
        return List.copyOf(ids);
    }
}
