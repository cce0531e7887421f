package dev.petrel.tokenizer.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.petrel.api.ModelFormatException;
import dev.petrel.api.tokenizer.Tokenizer;
import dev.petrel.tokenizer.MapMetadata;
import dev.petrel.tokenizer.bpe.ByteLevelAlphabet;
import dev.petrel.tokenizer.spm.SentencePieceEncoder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** GGUF metadata to tokenizer, on small hand-written metadata. */
class GgufTokenizerReaderTest {

    private static final String SOURCE = "tiny.gguf";

    /** A SentencePiece vocabulary: unk, BOS, EOS, the byte tokens, ▁, a, b, ▁a, ▁b, ▁ab. */
    private static MapMetadata sentencePiece() {
        List<String> tokens = new ArrayList<>(List.of("<unk>", "<s>", "</s>"));
        List<Integer> types = new ArrayList<>(List.of(2, 3, 3));
        for (int b = 0; b < 256; b++) {
            tokens.add(SentencePieceEncoder.byteTokenText(b));
            types.add(6);
        }
        for (String t : List.of("▁", "a", "b", "▁a", "▁b", "▁ab", "<|end|>")) {
            tokens.add(t);
            types.add(t.startsWith("<|") ? 3 : 1);
        }
        float[] scores = new float[tokens.size()];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = -i;
        }
        return new MapMetadata(SOURCE)
                .with("tokenizer.ggml.model", "llama")
                .with("tokenizer.ggml.tokens", tokens)
                .with("tokenizer.ggml.scores", scores)
                .with("tokenizer.ggml.token_type", types.stream().mapToInt(Integer::intValue).toArray())
                .with("tokenizer.ggml.bos_token_id", 1L)
                .with("tokenizer.ggml.eos_token_id", 2L);
    }

    /** A byte-level BPE vocabulary: the 256 byte symbols, "ab" and "<|eot|>". */
    private static MapMetadata bytePairs() {
        List<String> tokens = new ArrayList<>();
        for (int b = 0; b < 256; b++) {
            tokens.add(String.valueOf(ByteLevelAlphabet.charOf(b)));
        }
        tokens.add("ab");
        tokens.add("<|eot|>");
        int[] types = new int[tokens.size()];
        java.util.Arrays.fill(types, 1);
        types[types.length - 1] = 3;
        return new MapMetadata(SOURCE)
                .with("tokenizer.ggml.model", "gpt2")
                .with("tokenizer.ggml.pre", "gpt-2")
                .with("tokenizer.ggml.tokens", tokens)
                .with("tokenizer.ggml.token_type", types)
                .with("tokenizer.ggml.merges", List.of("a b"));
    }

    private static ModelFormatException failure(MapMetadata metadata) {
        return assertThrows(ModelFormatException.class, () -> GgufTokenizerReader.read(metadata));
    }

    @Test
    void read_ofSentencePiece_encodesWithSpacePrefixAndBos() {
        Tokenizer tokenizer = GgufTokenizerReader.read(sentencePiece());
        int boundary = tokenizer.id("▁ab").orElseThrow();
        assertEquals("spm", tokenizer.model());
        assertArrayEquals(new int[] {1, boundary}, tokenizer.encode("ab", true, false));
        assertEquals("ab", tokenizer.decode(tokenizer.encode("ab", true, false)));
    }

    @Test
    void read_honoursTheFlagKeys() {
        Tokenizer tokenizer = GgufTokenizerReader.read(sentencePiece()
                .with("tokenizer.ggml.add_bos_token", false)
                .with("tokenizer.ggml.add_eos_token", true)
                .with("tokenizer.ggml.add_space_prefix", false));
        int a = tokenizer.id("a").orElseThrow();
        int b = tokenizer.id("b").orElseThrow();
        assertArrayEquals(new int[] {a, b, 2}, tokenizer.encode("ab", true, false));
    }

    @Test
    void read_collectsEndOfGenerationIds() {
        MapMetadata metadata = sentencePiece().with("tokenizer.ggml.eot_token_id", 3L).with("tokenizer.chat_template", "{{x}}");
        Tokenizer tokenizer = GgufTokenizerReader.read(metadata);
        int end = tokenizer.id("<|end|>").orElseThrow();
        assertTrue(tokenizer.isEndOfGeneration(2));
        assertTrue(tokenizer.isEndOfGeneration(3));
        assertTrue(tokenizer.isEndOfGeneration(end), "<|end|> is a known end-of-turn marker");
        assertEquals("{{x}}", tokenizer.chatTemplate().orElseThrow());
    }

    @Test
    void read_ofBytePairs_mergesAndMatchesControlTokens() {
        Tokenizer tokenizer = GgufTokenizerReader.read(bytePairs());
        int ab = tokenizer.id("ab").orElseThrow();
        int eot = tokenizer.id("<|eot|>").orElseThrow();
        assertArrayEquals(new int[] {ab, eot}, tokenizer.encode("ab<|eot|>", false, true));
        assertEquals("ab", tokenizer.decode(new int[] {ab, eot}));
        assertEquals("ab<|eot|>", tokenizer.decode(new int[] {ab, eot}, true));
    }

    @Test
    void read_withLlama3PreTokenizer_addsBosByDefault() {
        Tokenizer tokenizer = GgufTokenizerReader.read(bytePairs()
                .with("tokenizer.ggml.pre", "llama-bpe")
                .with("tokenizer.ggml.bos_token_id", 0L));
        assertEquals(0, tokenizer.encode("x", true, false)[0]);
    }

    @Test
    void read_withScoresOfAnotherLength_namesTheKey() {
        ModelFormatException e = failure(sentencePiece().with("tokenizer.ggml.scores", new float[3]));
        assertEquals(SOURCE, e.source());
        assertEquals("tokenizer.ggml.scores", e.field());
        assertTrue(e.getMessage().contains("has 3 entries"), e.getMessage());
    }

    @Test
    void read_withTokenTypesOfAnotherLength_namesTheKey() {
        assertEquals("tokenizer.ggml.token_type", failure(sentencePiece().with("tokenizer.ggml.token_type", new int[1])).field());
    }

    @Test
    void read_withAnUnknownTokenType_namesTheKey() {
        int[] types = ((int[]) sentencePiece().find("tokenizer.ggml.token_type").orElseThrow()).clone();
        types[5] = 9;
        ModelFormatException e = failure(sentencePiece().with("tokenizer.ggml.token_type", types));
        assertEquals("tokenizer.ggml.token_type", e.field());
        assertTrue(e.getMessage().contains("token 5 has type 9"), e.getMessage());
    }

    @Test
    void read_withMergeOfAnUnknownToken_namesTheMerge() {
        ModelFormatException e = failure(bytePairs().with("tokenizer.ggml.merges", List.of("a b", "x zz")));
        assertEquals("tokenizer.ggml.merges", e.field());
        assertTrue(e.getMessage().contains("merge 1 'x zz'") && e.getMessage().contains("'zz'"), e.getMessage());
    }

    @Test
    void read_withAnUnknownPreTokenizer_namesTheKeyAndValue() {
        ModelFormatException e = failure(bytePairs().with("tokenizer.ggml.pre", "mystery-9"));
        assertEquals("tokenizer.ggml.pre", e.field());
        assertTrue(e.getMessage().contains("'mystery-9'"), e.getMessage());
    }

    @Test
    void read_withAnUnknownModel_namesTheKey() {
        ModelFormatException e = failure(sentencePiece().with("tokenizer.ggml.model", "t5"));
        assertEquals("tokenizer.ggml.model", e.field());
        assertTrue(e.getMessage().contains("'t5'"), e.getMessage());
    }

    @Test
    void read_withADuplicateToken_namesTheTokens() {
        List<String> tokens = new ArrayList<>(bytePairs().strings("tokenizer.ggml.tokens"));
        tokens.set(256, "a");
        ModelFormatException e = failure(bytePairs().with("tokenizer.ggml.tokens", tokens));
        assertEquals("tokenizer.ggml.tokens", e.field());
    }

    @Test
    void read_withBosOutsideTheVocabulary_namesTheKey() {
        assertEquals("tokenizer.ggml.bos_token_id", failure(sentencePiece().with("tokenizer.ggml.bos_token_id", 99_999L)).field());
    }

    @Test
    void read_withAddBosButNoBos_namesTheFlag() {
        assertEquals("tokenizer.ggml.add_bos_token", failure(bytePairs().with("tokenizer.ggml.add_bos_token", true)).field());
    }

    @Test
    void read_withoutTokens_namesTheMissingKey() {
        assertEquals("tokenizer.ggml.tokens", failure(sentencePiece().without("tokenizer.ggml.tokens")).field());
    }

    @Test
    void read_withoutMerges_namesTheMissingKey() {
        assertEquals("tokenizer.ggml.merges", failure(bytePairs().without("tokenizer.ggml.merges")).field());
    }
}
