package dev.petrel.tokenizer.hf;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.petrel.tokenizer.core.IntList;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The content of a tokenizer.json. The vocabulary and merges (hundreds of thousands of
 * entries) are streamed into plain lists; every other section is kept as a JSON tree.
 *
 * @param sections top-level sections other than {@code model}
 * @param model the fields of {@code model} other than {@code vocab} and {@code merges}
 * @param vocabTexts vocabulary entries in file order
 * @param vocabIds their ids
 * @param merges merge rules in rank order, each {left, right}
 */
record TokenizerJson(ObjectNode sections, ObjectNode model, List<String> vocabTexts, int[] vocabIds, List<String[]> merges) {

    static TokenizerJson read(ObjectMapper mapper, Path file, JsonFields json) throws IOException {
        try (InputStream in = Files.newInputStream(file); JsonParser parser = mapper.createParser(in)) {
            return new Reader(mapper, parser, json).read();
        } catch (JacksonException e) {
            throw json.error("(json)", "malformed JSON: " + e.getOriginalMessage(), e);
        }
    }

    private static final class Reader {
        private final ObjectMapper mapper;
        private final JsonParser parser;
        private final JsonFields json;
        private final ObjectNode sections;
        private final ObjectNode model;
        private final List<String> vocabTexts = new ArrayList<>();
        private final IntList vocabIds = new IntList(1024);
        private final List<String[]> merges = new ArrayList<>();
        private boolean sawModel;
        private boolean sawVocab;
        private boolean sawMerges;

        Reader(ObjectMapper mapper, JsonParser parser, JsonFields json) {
            this.mapper = mapper;
            this.parser = parser;
            this.json = json;
            this.sections = mapper.createObjectNode();
            this.model = mapper.createObjectNode();
        }

        TokenizerJson read() throws IOException {
            expect(parser.nextToken(), JsonToken.START_OBJECT, "(root)");
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                parser.nextToken();
                if (name.equals("model")) {
                    readModel();
                } else {
                    sections.set(name, mapper.readTree(parser));
                }
            }
            if (!sawModel) {
                throw json.error("model", "required field is missing");
            }
            if (!sawVocab) {
                throw json.error("model.vocab", "required field is missing");
            }
            if (!sawMerges) {
                throw json.error("model.merges", "required field is missing");
            }
            return new TokenizerJson(sections, model, vocabTexts, vocabIds.toArray(), merges);
        }

        private void readModel() throws IOException {
            sawModel = true;
            expect(parser.currentToken(), JsonToken.START_OBJECT, "model");
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken value = parser.nextToken();
                switch (name) {
                    case "vocab" -> readVocab(value);
                    case "merges" -> readMerges(value);
                    default -> model.set(name, mapper.readTree(parser));
                }
            }
        }

        private void readVocab(JsonToken start) throws IOException {
            sawVocab = true;
            expect(start, JsonToken.START_OBJECT, "model.vocab");
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String text = parser.currentName();
                if (parser.nextToken() != JsonToken.VALUE_NUMBER_INT || parser.getLongValue() < 0
                        || parser.getLongValue() > Integer.MAX_VALUE) {
                    throw json.error("model.vocab", "id of '" + text + "' must be a non-negative integer, found "
                            + parser.getText());
                }
                vocabTexts.add(text);
                vocabIds.add(parser.getIntValue());
            }
        }

        private void readMerges(JsonToken start) throws IOException {
            sawMerges = true;
            expect(start, JsonToken.START_ARRAY, "model.merges");
            JsonToken token;
            while ((token = parser.nextToken()) != JsonToken.END_ARRAY) {
                String path = "model.merges[" + merges.size() + "]";
                if (token == JsonToken.VALUE_STRING) {
                    String text = parser.getText();
                    int space = text.indexOf(' ', 1);
                    if (space < 0) {
                        throw json.error(path, "merge '" + text + "' is not two tokens separated by a space");
                    }
                    merges.add(new String[] {text.substring(0, space), text.substring(space + 1)});
                } else if (token == JsonToken.START_ARRAY) {
                    String left = parser.nextToken() == JsonToken.VALUE_STRING ? parser.getText() : null;
                    String right = parser.nextToken() == JsonToken.VALUE_STRING ? parser.getText() : null;
                    if (left == null || right == null || parser.nextToken() != JsonToken.END_ARRAY) {
                        throw json.error(path, "expected [\"left\", \"right\"]");
                    }
                    merges.add(new String[] {left, right});
                } else {
                    throw json.error(path, "expected \"left right\" or [\"left\", \"right\"], found " + token);
                }
            }
        }

        private void expect(JsonToken actual, JsonToken expected, String path) {
            if (actual != expected) {
                throw json.error(path, "expected " + describe(expected) + ", found " + (actual == null ? "end of file" : describe(actual)));
            }
        }

        private static String describe(JsonToken token) {
            return switch (token) {
                case START_OBJECT -> "an object";
                case START_ARRAY -> "an array";
                default -> token.asString() == null ? token.name() : token.asString();
            };
        }
    }
}
