package dev.petrel.tokenizer.hf;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.petrel.api.ModelFormatException;
import dev.petrel.api.tokenizer.TokenKind;
import dev.petrel.api.tokenizer.Tokenizer;
import dev.petrel.tokenizer.bpe.ByteLevelAlphabet;
import dev.petrel.tokenizer.bpe.ByteLevelBpeEncoder;
import dev.petrel.tokenizer.bpe.MergeTable;
import dev.petrel.tokenizer.core.EndOfTurnMarkers;
import dev.petrel.tokenizer.core.ModelTokenizer;
import dev.petrel.tokenizer.core.SpecialTokenSplitter;
import dev.petrel.tokenizer.core.SpecialTokens;
import dev.petrel.tokenizer.core.TextNormalizer;
import dev.petrel.tokenizer.core.TokenDecoder;
import dev.petrel.tokenizer.core.Vocabulary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Builds a byte-level BPE tokenizer from a Hugging Face folder: tokenizer.json for the model,
 * added tokens, normalizer and pre-tokenizer; tokenizer_config.json (optional) for BOS/EOS
 * handling and the chat template.
 */
public final class HfTokenizerReader {

    static final String TOKENIZER_FILE = "tokenizer.json";

    /**
     * Field names are not canonicalized: a vocabulary's hundred thousand distinct keys would
     * only churn Jackson's symbol table.
     */
    private static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
            .disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES)
            .build());

    private final JsonFields json;
    private final Path folder;

    private HfTokenizerReader(Path folder) {
        this.folder = folder;
        this.json = new JsonFields(folder.resolve(TOKENIZER_FILE).toString());
    }

    /**
     * @throws ModelFormatException naming the file and field that is missing or unsupported
     * @throws IOException if a file cannot be read
     */
    public static Tokenizer read(Path folder) throws IOException {
        return new HfTokenizerReader(folder).read();
    }

    /** One entry of tokenizer.json's added_tokens. */
    private record AddedToken(int id, String content, boolean special, boolean lstrip, boolean rstrip) {}

    private Tokenizer read() throws IOException {
        Path file = folder.resolve(TOKENIZER_FILE);
        if (!Files.isRegularFile(file)) {
            throw new ModelFormatException(folder.toString(), TOKENIZER_FILE, "file is missing");
        }
        TokenizerJson content = TokenizerJson.read(MAPPER, file, json);
        JsonNode root = content.sections();
        JsonNode model = content.model();
        String type = json.optionalString(model, "type", "model.type").orElse("BPE");
        if (!type.equals("BPE")) {
            throw json.error("model.type", "unsupported model '" + type + "'; supported: BPE");
        }
        checkPlainBpe(model);
        List<AddedToken> added = readAddedTokens(root);
        Vocabulary vocabulary = readVocabulary(content, added);

        HfPreTokenizers.Parsed pre = HfPreTokenizers.parse(root.get("pre_tokenizer"), json, "pre_tokenizer");
        if (!pre.byteLevel()) {
            throw json.error("pre_tokenizer", "only byte-level BPE is supported: no ByteLevel pre-tokenizer found");
        }
        TextNormalizer normalizer = HfNormalizers.parse(root.get("normalizer"), json, "normalizer");
        MergeTable merges = readMerges(content.merges(), vocabulary);
        boolean ignoreMerges = json.bool(model, "ignore_merges", false, "model.ignore_merges");

        HfTokenizerConfig config = HfTokenizerConfig.read(folder, MAPPER);
        SpecialTokens specials = specials(root, config, vocabulary);
        return new ModelTokenizer(new ModelTokenizer.Parts(
                "bpe",
                pre.preTokenizer().name(),
                vocabulary,
                new SpecialTokenSplitter(added.stream()
                        .map(t -> new SpecialTokenSplitter.Candidate(t.content(), t.id(), t.special(), t.lstrip(), t.rstrip()))
                        .toList()),
                normalizer,
                new ByteLevelBpeEncoder(pre.preTokenizer(), merges, vocabulary, ignoreMerges, pre.addPrefixSpace()),
                new TokenDecoder(vocabulary, id -> ByteLevelAlphabet.decode(vocabulary.text(id)), false),
                specials,
                config.chatTemplate().orElse(null)));
    }

    /** Options that would change how words split into subwords are not supported. */
    private void checkPlainBpe(JsonNode model) {
        for (String field : List.of("continuing_subword_prefix", "end_of_word_suffix")) {
            Optional<String> value = json.optionalString(model, field, "model." + field);
            if (value.isPresent() && !value.get().isEmpty()) {
                throw json.error("model." + field, "is not supported for byte-level BPE");
            }
        }
    }

    private List<AddedToken> readAddedTokens(JsonNode root) {
        JsonNode node = root.get("added_tokens");
        List<AddedToken> tokens = new ArrayList<>();
        if (node == null || node.isNull()) {
            return tokens;
        }
        if (!node.isArray()) {
            throw json.error("added_tokens", "expected an array");
        }
        for (int i = 0; i < node.size(); i++) {
            JsonNode t = node.get(i);
            String path = "added_tokens[" + i + "]";
            int id = json.integer(t, "id", path + ".id");
            if (id < 0) {
                throw json.error(path + ".id", "negative token id " + id);
            }
            tokens.add(new AddedToken(id, json.string(t, "content", path + ".content"),
                    json.bool(t, "special", false, path + ".special"),
                    json.bool(t, "lstrip", false, path + ".lstrip"),
                    json.bool(t, "rstrip", false, path + ".rstrip")));
        }
        return tokens;
    }

    /** The model's vocabulary with the added tokens laid over it; ids in neither stay gaps. */
    private Vocabulary readVocabulary(TokenizerJson content, List<AddedToken> added) {
        int[] ids = content.vocabIds();
        int size = 0;
        for (int id : ids) {
            size = Math.max(size, id + 1);
        }
        for (AddedToken t : added) {
            size = Math.max(size, t.id() + 1);
        }
        String[] texts = new String[size];
        TokenKind[] kinds = new TokenKind[size];
        for (int i = 0; i < ids.length; i++) {
            String text = content.vocabTexts().get(i);
            if (texts[ids[i]] != null) {
                throw json.error("model.vocab", "id " + ids[i] + " is given to both '" + texts[ids[i]] + "' and '" + text + "'");
            }
            texts[ids[i]] = text;
            kinds[ids[i]] = TokenKind.NORMAL;
        }
        for (AddedToken t : added) {
            texts[t.id()] = t.content();
            kinds[t.id()] = t.special() ? TokenKind.CONTROL : TokenKind.USER_DEFINED;
        }
        // An added token repeating a vocabulary entry keeps the lower id for lookups.
        return new Vocabulary(texts, kinds, null, (text, first, second) -> {});
    }

    /** Merge rules in rank order; each must join known tokens into a known token. */
    private MergeTable readMerges(List<String[]> merges, Vocabulary vocabulary) {
        MergeTable table = new MergeTable(merges.size());
        for (int rank = 0; rank < merges.size(); rank++) {
            String left = merges.get(rank)[0];
            String right = merges.get(rank)[1];
            String path = "model.merges[" + rank + "]";
            table.add(knownToken(vocabulary, left, path), knownToken(vocabulary, right, path),
                    rank, knownToken(vocabulary, left + right, path));
        }
        return table;
    }

    private int knownToken(Vocabulary vocabulary, String text, String path) {
        int id = vocabulary.id(text);
        if (id < 0) {
            throw json.error(path, "refers to '" + text + "', which is not in model.vocab");
        }
        return id;
    }

    private SpecialTokens specials(JsonNode root, HfTokenizerConfig config, Vocabulary vocabulary) {
        TemplateSpecials template = TemplateSpecials.of(root.get("post_processor"));
        String configFile = folder.resolve(HfTokenizerConfig.CONFIG_FILE).toString();
        int bos = config.bosText().map(text -> configuredToken(vocabulary, text, configFile, "bos_token"))
                .orElse(template.first());
        int eos = config.eosText().map(text -> configuredToken(vocabulary, text, configFile, "eos_token"))
                .orElse(template.last());
        boolean addBos = config.addBos().orElse(template.first() >= 0);
        boolean addEos = config.addEos().orElse(template.last() >= 0);
        if (addBos && bos < 0) {
            throw new ModelFormatException(configFile, "add_bos_token", "is true but no bos_token is given");
        }
        if (addEos && eos < 0) {
            throw new ModelFormatException(configFile, "add_eos_token", "is true but no eos_token is given");
        }
        List<Integer> ends = new ArrayList<>(config.generationEndIds());
        ends.add(eos);
        for (int id = 0; id < vocabulary.size(); id++) {
            if (vocabulary.kind(id) == TokenKind.CONTROL && EndOfTurnMarkers.isMarker(vocabulary.text(id))) {
                ends.add(id);
            }
        }
        return new SpecialTokens(bos, eos, addBos, addEos, ends.stream().mapToInt(Integer::intValue).toArray());
    }

    private static int configuredToken(Vocabulary vocabulary, String text, String file, String field) {
        int id = vocabulary.id(text);
        if (id < 0) {
            throw new ModelFormatException(file, field, "token '" + text + "' is not in the vocabulary");
        }
        return id;
    }
}
