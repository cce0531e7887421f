package dev.petrel.tokenizer.hf;

import com.fasterxml.jackson.databind.JsonNode;
import dev.petrel.tokenizer.pretokenize.GgufPreTokenizers;
import dev.petrel.tokenizer.pretokenize.PreTokenizer;
import dev.petrel.tokenizer.pretokenize.RegexDialect;
import dev.petrel.tokenizer.pretokenize.RegexSplit;
import dev.petrel.tokenizer.pretokenize.SplitBehavior;
import dev.petrel.tokenizer.pretokenize.SplitStep;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Reads a tokenizer.json {@code pre_tokenizer} into regex splits, taking every regex from the
 * file; only ByteLevel's own word pattern, which the file does not spell out, is built in.
 */
final class HfPreTokenizers {

    /** What the pre-tokenizer section says. */
    record Parsed(PreTokenizer preTokenizer, boolean byteLevel, boolean addPrefixSpace) {}

    private HfPreTokenizers() {}

    static Parsed parse(JsonNode node, JsonFields json, String path) {
        Builder builder = new Builder(json);
        if (node != null && !node.isNull()) {
            builder.add(node, path, true);
        }
        return builder.build();
    }

    private static final class Builder {
        private final JsonFields json;
        private final List<SplitStep> steps = new ArrayList<>();
        private final List<String> regexes = new ArrayList<>();
        private boolean byteLevel;
        private boolean addPrefixSpace;
        private boolean onlyIsolatingSplits = true;

        Builder(JsonFields json) {
            this.json = json;
        }

        void add(JsonNode node, String path, boolean first) {
            String type = json.string(node, "type", path + ".type");
            switch (type) {
                case "Sequence" -> {
                    JsonNode items = json.array(node, "pretokenizers", path + ".pretokenizers");
                    for (int i = 0; i < items.size(); i++) {
                        add(items.get(i), path + ".pretokenizers[" + i + "]", first && steps.isEmpty() && i == 0);
                    }
                }
                case "Split" -> split(node, path);
                case "ByteLevel" -> byteLevel(node, path, first && steps.isEmpty());
                case "Digits" -> {
                    boolean individual = json.bool(node, "individual_digits", false, path + ".individual_digits");
                    addStep(individual ? "\\p{N}" : "\\p{N}+", SplitBehavior.ISOLATED, false, path);
                }
                default -> throw json.error(path + ".type",
                        "unsupported pre-tokenizer '" + type + "'; supported: Sequence, Split, ByteLevel, Digits");
            }
        }

        private void split(JsonNode node, String path) {
            JsonNode pattern = json.require(node, "pattern", path + ".pattern");
            SplitBehavior behavior = behavior(json.string(node, "behavior", path + ".behavior"), path + ".behavior");
            boolean invert = json.bool(node, "invert", false, path + ".invert");
            if (pattern.has("Regex")) {
                addStep(json.string(pattern, "Regex", path + ".pattern.Regex"), behavior, invert, path + ".pattern");
            } else if (pattern.has("String")) {
                String literal = json.string(pattern, "String", path + ".pattern.String");
                addStep(Pattern.compile(Pattern.quote(literal)), literal, behavior, invert);
            } else {
                throw json.error(path + ".pattern", "expected {\"Regex\": ...} or {\"String\": ...}");
            }
        }

        private void byteLevel(JsonNode node, String path, boolean first) {
            byteLevel = true;
            boolean prefix = json.bool(node, "add_prefix_space", false, path + ".add_prefix_space");
            if (prefix && !first) {
                throw json.error(path + ".add_prefix_space", "is only supported on a ByteLevel that comes first");
            }
            addPrefixSpace |= prefix;
            if (json.bool(node, "use_regex", true, path + ".use_regex")) {
                addStep(GgufPreTokenizers.GPT2, SplitBehavior.ISOLATED, false, path);
            }
        }

        private void addStep(String regex, SplitBehavior behavior, boolean invert, String path) {
            Pattern pattern;
            try {
                pattern = RegexDialect.compileOniguruma(regex);
            } catch (PatternSyntaxException e) {
                throw json.error(path, "regex cannot be compiled: " + e.getDescription());
            }
            addStep(pattern, regex, behavior, invert);
        }

        private void addStep(Pattern pattern, String source, SplitBehavior behavior, boolean invert) {
            steps.add(new RegexSplit(pattern, behavior, invert));
            regexes.add(source);
            onlyIsolatingSplits &= behavior == SplitBehavior.ISOLATED && !invert;
        }

        private SplitBehavior behavior(String name, String path) {
            return switch (name) {
                case "Removed" -> SplitBehavior.REMOVED;
                case "Isolated" -> SplitBehavior.ISOLATED;
                case "MergedWithPrevious" -> SplitBehavior.MERGED_WITH_PREVIOUS;
                case "MergedWithNext" -> SplitBehavior.MERGED_WITH_NEXT;
                case "Contiguous" -> SplitBehavior.CONTIGUOUS;
                default -> throw json.error(path, "unknown split behavior '" + name + "'");
            };
        }

        Parsed build() {
            String name = onlyIsolatingSplits ? GgufPreTokenizers.nameOf(regexes).orElse("custom") : "custom";
            return new Parsed(new PreTokenizer(name, steps), byteLevel, addPrefixSpace);
        }
    }
}
