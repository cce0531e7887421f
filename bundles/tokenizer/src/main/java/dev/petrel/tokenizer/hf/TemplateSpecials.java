package dev.petrel.tokenizer.hf;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The special tokens a TemplateProcessing post-processor puts around a single sequence,
 * which is how tokenizer.json alone says that BOS or EOS is added.
 */
record TemplateSpecials(int first, int last) {

    static TemplateSpecials of(JsonNode processor) {
        if (processor == null || processor.isNull()) {
            return new TemplateSpecials(-1, -1);
        }
        String type = processor.path("type").asText();
        if (type.equals("Sequence")) {
            for (JsonNode inner : processor.path("processors")) {
                TemplateSpecials found = of(inner);
                if (found.first() >= 0 || found.last() >= 0) {
                    return found;
                }
            }
        }
        if (!type.equals("TemplateProcessing")) {
            return new TemplateSpecials(-1, -1);
        }
        JsonNode single = processor.path("single");
        JsonNode specials = processor.path("special_tokens");
        if (!single.isArray() || single.isEmpty()) {
            return new TemplateSpecials(-1, -1);
        }
        return new TemplateSpecials(specialId(single.get(0), specials), specialId(single.get(single.size() - 1), specials));
    }

    private static int specialId(JsonNode item, JsonNode specials) {
        JsonNode name = item.path("SpecialToken").path("id");
        if (!name.isTextual()) {
            return -1;
        }
        JsonNode ids = specials.path(name.asText()).path("ids");
        return ids.isArray() && !ids.isEmpty() ? ids.get(0).asInt() : -1;
    }
}
