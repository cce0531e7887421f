package dev.petrel.tokenizer.hf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.petrel.api.ModelFormatException;
import dev.petrel.api.tokenizer.TokenKind;
import dev.petrel.api.tokenizer.Tokenizer;
import dev.petrel.tokenizer.bpe.ByteLevelAlphabet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** tokenizer.json to tokenizer, on small files written by the test. */
class HfTokenizerReaderTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path folder;

    /** Byte symbols 0-255, "ab" = 256, "Ġb" = 257; added <s> = 258 (special), <tool> = 259 (not). */
    private static ObjectNode tokenizerJson() {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        ObjectNode vocab = model.putObject("vocab");
        for (int b = 0; b < 256; b++) {
            vocab.put(String.valueOf(ByteLevelAlphabet.charOf(b)), b);
        }
        vocab.put("ab", 256);
        vocab.put("Ġb", 257);
        ArrayNode merges = model.putArray("merges");
        merges.add("a b");
        merges.addArray().add("Ġ").add("b");
        ArrayNode added = root.putArray("added_tokens");
        added.addObject().put("id", 258).put("content", "<s>").put("special", true);
        added.addObject().put("id", 259).put("content", "<tool>").put("special", false).put("rstrip", true);
        ObjectNode pre = root.putObject("pre_tokenizer");
        pre.put("type", "ByteLevel").put("add_prefix_space", false).put("use_regex", true);
        root.putObject("decoder").put("type", "ByteLevel");
        return root;
    }

    private Tokenizer read(ObjectNode tokenizer, ObjectNode config) throws IOException {
        Files.writeString(folder.resolve("tokenizer.json"), tokenizer.toString());
        if (config != null) {
            Files.writeString(folder.resolve("tokenizer_config.json"), config.toString());
        }
        return HfTokenizerReader.read(folder);
    }

    private ModelFormatException failure(Consumer<ObjectNode> breakIt) throws IOException {
        ObjectNode root = tokenizerJson();
        breakIt.accept(root);
        Files.writeString(folder.resolve("tokenizer.json"), root.toString());
        return assertThrows(ModelFormatException.class, () -> HfTokenizerReader.read(folder));
    }

    @Test
    void read_encodesWithMergesFromStringsAndPairs() throws IOException {
        Tokenizer tokenizer = read(tokenizerJson(), null);
        assertArrayEquals(new int[] {256, 257}, tokenizer.encode("ab b"));
        assertEquals("gpt-2", tokenizer.preTokenizer());
        assertEquals(260, tokenizer.vocabularySize());
    }

    @Test
    void read_matchesAddedTokens_specialOnesOnlyWhenAsked() throws IOException {
        Tokenizer tokenizer = read(tokenizerJson(), null);
        assertEquals(TokenKind.CONTROL, tokenizer.kind(258));
        assertEquals(TokenKind.USER_DEFINED, tokenizer.kind(259));
        assertArrayEquals(new int[] {258, 256}, tokenizer.encode("<s>ab", false, true));
        assertEquals(4, tokenizer.encode("<s>ab", false, false).length);
        // <tool> strips the whitespace after it.
        assertArrayEquals(new int[] {256, 259, 256}, tokenizer.encode("ab<tool>  ab", false, false));
    }

    @Test
    void read_takesBosAndEosFromTheConfig() throws IOException {
        ObjectNode config = JSON.createObjectNode().put("add_bos_token", true).put("add_eos_token", false);
        config.putObject("bos_token").put("content", "<s>");
        config.put("eos_token", "<tool>");
        config.putArray("chat_template").addObject().put("name", "default").put("template", "T");
        Tokenizer tokenizer = read(tokenizerJson(), config);
        assertEquals(258, tokenizer.bosId());
        assertEquals(259, tokenizer.eosId());
        assertArrayEquals(new int[] {258, 256}, tokenizer.encode("ab", true, false));
        assertTrue(tokenizer.isEndOfGeneration(259));
        assertEquals("T", tokenizer.chatTemplate().orElseThrow());
    }

    @Test
    void read_takesBosFromATemplateProcessor() throws IOException {
        ObjectNode root = tokenizerJson();
        ObjectNode post = root.putObject("post_processor").put("type", "TemplateProcessing");
        post.putArray("single").add(JSON.readTree("{\"SpecialToken\":{\"id\":\"<s>\",\"type_id\":0}}"))
                .add(JSON.readTree("{\"Sequence\":{\"id\":\"A\",\"type_id\":0}}"));
        post.putObject("special_tokens").set("<s>", JSON.readTree("{\"id\":\"<s>\",\"ids\":[258],\"tokens\":[\"<s>\"]}"));
        Tokenizer tokenizer = read(root, null);
        assertArrayEquals(new int[] {258, 256}, tokenizer.encode("ab", true, false));
    }

    @Test
    void read_appliesTheNormalizer() throws IOException {
        ObjectNode root = tokenizerJson();
        root.putObject("normalizer").put("type", "Sequence").putArray("normalizers")
                .add(JSON.createObjectNode().put("type", "NFC"))
                .add(JSON.readTree("{\"type\":\"Replace\",\"pattern\":{\"String\":\"x\"},\"content\":\"a\"}"));
        Tokenizer tokenizer = read(root, null);
        assertArrayEquals(new int[] {256}, tokenizer.encode("xb"));
        assertArrayEquals(tokenizer.encode("\u00e9"), tokenizer.encode("e\u0301"));
    }

    @Test
    void read_ofSplitSequences_takesTheRegexesFromTheFile() throws IOException {
        ObjectNode root = tokenizerJson();
        root.set("pre_tokenizer", JSON.readTree("""
                {"type":"Sequence","pretokenizers":[
                  {"type":"Split","pattern":{"Regex":"\\\\p{N}{1,3}"},"behavior":"Isolated","invert":false},
                  {"type":"ByteLevel","add_prefix_space":false,"use_regex":false}]}"""));
        Tokenizer tokenizer = read(root, null);
        assertEquals("custom", tokenizer.preTokenizer());
        assertEquals("1234", tokenizer.decode(tokenizer.encode("1234")));
        assertArrayEquals(new int[] {'1', '2', '3', '4'}, tokenizer.encode("1234"));
    }

    @Test
    void read_withMergeOfAnUnknownToken_namesFileAndMerge() throws IOException {
        ModelFormatException e = failure(root -> ((ArrayNode) root.get("model").get("merges")).add("x zz"));
        assertTrue(e.source().endsWith("tokenizer.json"), e.source());
        assertEquals("model.merges[2]", e.field());
        assertTrue(e.getMessage().contains("'zz'"), e.getMessage());
    }

    @Test
    void read_ofAnotherModelType_namesTheField() throws IOException {
        ModelFormatException e = failure(root -> ((ObjectNode) root.get("model")).put("type", "Unigram"));
        assertEquals("model.type", e.field());
    }

    @Test
    void read_ofAnUnsupportedPreTokenizer_namesTheField() throws IOException {
        ModelFormatException e = failure(root -> root.putObject("pre_tokenizer").put("type", "Metaspace"));
        assertEquals("pre_tokenizer.type", e.field());
        assertTrue(e.getMessage().contains("'Metaspace'"), e.getMessage());
    }

    @Test
    void read_ofAnUnsupportedNormalizer_namesTheField() throws IOException {
        ModelFormatException e = failure(root -> root.putObject("normalizer").put("type", "BertNormalizer"));
        assertEquals("normalizer.type", e.field());
    }

    @Test
    void read_ofABadRegex_namesTheField() throws IOException {
        ModelFormatException e = failure(root -> root.set("pre_tokenizer", JSON.createObjectNode().put("type", "Sequence")
                .set("pretokenizers", JSON.createArrayNode()
                        .add(JSON.createObjectNode().put("type", "Split").put("behavior", "Isolated")
                                .set("pattern", JSON.createObjectNode().put("Regex", "(unclosed")))
                        .add(JSON.createObjectNode().put("type", "ByteLevel")))));
        assertEquals("pre_tokenizer.pretokenizers[0].pattern", e.field());
    }

    @Test
    void read_ofMalformedJson_namesTheFile() throws IOException {
        Files.writeString(folder.resolve("tokenizer.json"), "{\"model\": {\"vocab\": ");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> HfTokenizerReader.read(folder));
        assertTrue(e.source().endsWith("tokenizer.json"));
    }

    @Test
    void read_ofAFolderWithoutTokenizerJson_namesTheFile() {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> HfTokenizerReader.read(folder));
        assertEquals("tokenizer.json", e.field());
        assertFalse(e.getMessage().isBlank());
    }

    @Test
    void read_ofAConfigAddingAMissingBos_namesTheFlag() throws IOException {
        ObjectNode config = JSON.createObjectNode().put("add_bos_token", true);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> read(tokenizerJson(), config));
        assertEquals("add_bos_token", e.field());
    }

    @Test
    void read_ofAConfigNamingAnUnknownToken_namesTheConfigField() throws IOException {
        ObjectNode config = JSON.createObjectNode().put("eos_token", "<nope>");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> read(tokenizerJson(), config));
        assertTrue(e.source().endsWith("tokenizer_config.json"), e.source());
        assertEquals("eos_token", e.field());
    }
}
