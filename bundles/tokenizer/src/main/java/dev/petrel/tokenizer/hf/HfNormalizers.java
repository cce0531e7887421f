package dev.petrel.tokenizer.hf;

import com.fasterxml.jackson.databind.JsonNode;
import dev.petrel.tokenizer.core.TextNormalizer;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;

/** Builds the text normalizer that a tokenizer.json {@code normalizer} describes. */
final class HfNormalizers {

    private HfNormalizers() {}

    static TextNormalizer parse(JsonNode node, JsonFields json, String path) {
        if (node == null || node.isNull()) {
            return TextNormalizer.NONE;
        }
        String type = json.string(node, "type", path + ".type");
        return switch (type) {
            case "NFC" -> TextNormalizer.unicode(Normalizer.Form.NFC);
            case "NFD" -> TextNormalizer.unicode(Normalizer.Form.NFD);
            case "NFKC" -> TextNormalizer.unicode(Normalizer.Form.NFKC);
            case "NFKD" -> TextNormalizer.unicode(Normalizer.Form.NFKD);
            case "Lowercase" -> TextNormalizer.lowercase();
            case "Prepend" -> TextNormalizer.prepend(json.string(node, "prepend", path + ".prepend"));
            case "Replace" -> replace(node, json, path);
            case "Sequence" -> {
                JsonNode steps = json.array(node, "normalizers", path + ".normalizers");
                List<TextNormalizer> parsed = new ArrayList<>();
                for (int i = 0; i < steps.size(); i++) {
                    parsed.add(parse(steps.get(i), json, path + ".normalizers[" + i + "]"));
                }
                yield parsed.isEmpty() ? TextNormalizer.NONE : TextNormalizer.sequence(parsed);
            }
            default -> throw json.error(path + ".type",
                    "unsupported normalizer '" + type + "'; supported: NFC, NFD, NFKC, NFKD, Lowercase, Prepend, Replace, Sequence");
        };
    }

    private static TextNormalizer replace(JsonNode node, JsonFields json, String path) {
        JsonNode pattern = json.require(node, "pattern", path + ".pattern");
        String content = json.string(node, "content", path + ".content");
        if (pattern.has("String")) {
            return TextNormalizer.replace(json.string(pattern, "String", path + ".pattern.String"), content);
        }
        throw json.error(path + ".pattern", "only String patterns are supported in Replace normalizers");
    }
}
