package dev.petrel.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.petrel.api.tokenizer.TokenKind;
import dev.petrel.api.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Special tokens, BOS/EOS and decoding on the real test tokenizers. */
class ModelBehaviourTest {

    private static Tokenizer gguf(String name) {
        return GgufTokenizers.load(TestData.tokenizers().resolve("gguf-vocab/ggml-vocab-" + name + ".gguf"));
    }

    private static Tokenizer hf(String name) {
        return AllTokenizers.load(TestData.tokenizers().resolve("hf-" + name));
    }

    private static boolean contains(int[] ids, int id) {
        return Arrays.stream(ids).anyMatch(i -> i == id);
    }

    @Test
    void llamaSpm_addsBosAndHidesItWhenDecoding() {
        Tokenizer t = gguf("llama-spm");
        assertEquals(1, t.bosId());
        assertEquals(2, t.eosId());
        int[] ids = t.encode("Hello world", true, false);
        assertEquals(1, ids[0]);
        assertArrayEquals(t.encode("Hello world"), Arrays.copyOfRange(ids, 1, ids.length));
        assertEquals("Hello world", t.decode(ids));
        assertEquals("<s>Hello world", t.decode(ids, true));
        assertEquals(0, t.tokenBytes(1).length);
        assertEquals(" Hello", new String(t.tokenBytes(ids[1]), java.nio.charset.StandardCharsets.UTF_8));
    }

    @Test
    void llamaSpm_parsesControlTokensOnlyWhenAsked() {
        Tokenizer t = gguf("llama-spm");
        assertArrayEquals(new int[] {1}, Arrays.copyOf(t.encode("<s>hi", false, true), 1));
        assertFalse(contains(t.encode("<s>hi", false, false), 1));
        assertTrue(t.isEndOfGeneration(2));
    }

    @Test
    void phi3_endsGenerationAtEndOfTurn() {
        Tokenizer t = gguf("phi-3");
        int end = t.id("<|end|>").orElseThrow();
        int user = t.id("<|user|>").orElseThrow();
        assertTrue(t.isEndOfGeneration(end));
        assertTrue(t.isEndOfGeneration(t.eosId()));
        String chat = "<|user|>\nHi there<|end|>\n<|assistant|>";
        int[] ids = t.encode(chat, true, true);
        assertEquals(user, ids[1]);
        assertTrue(contains(ids, end));
        assertEquals("<s>" + chat, t.decode(ids, true));
        assertTrue(t.chatTemplate().isPresent());
    }

    @Test
    void gpt2_decodesAStrayByteAsReplacementCharacter() {
        Tokenizer t = gguf("gpt-2");
        int leadByte = t.id(String.valueOf(dev.petrel.tokenizer.bpe.ByteLevelAlphabet.charOf(0xF0))).orElseThrow();
        assertEquals("\uFFFD", t.decode(new int[] {leadByte}));
        assertEquals("a\uFFFDb", t.decode(new int[] {t.encode("a")[0], leadByte, t.encode("b")[0]}));
        assertEquals("<|endoftext|>", t.decode(new int[] {50256}, true));
        assertArrayEquals(new int[] {50256}, t.encode("<|endoftext|>", false, true));
        assertEquals(TokenKind.CONTROL, t.kind(50256));
        assertEquals("Ġthe", t.tokenText(t.encode(" the")[0]));
    }

    @Test
    void qwen3_parsesChatMarkersAndStopsAtImEnd() {
        Tokenizer t = hf("qwen3");
        int start = t.id("<|im_start|>").orElseThrow();
        int end = t.id("<|im_end|>").orElseThrow();
        int[] ids = t.encode("<|im_start|>user\nHi<|im_end|>\n", true, true);
        assertEquals(start, ids[0], "Qwen adds no BOS");
        assertTrue(contains(ids, end));
        assertTrue(t.isEndOfGeneration(end));
        assertTrue(t.isEndOfGeneration(t.id("<|endoftext|>").orElseThrow()));
        assertEquals(-1, t.bosId());
        assertEquals("user\nHi\n", t.decode(ids));
        assertTrue(t.chatTemplate().orElseThrow().contains("<|im_start|>"));
    }

    @Test
    void llama3_stopsAtEndOfTurn() {
        Tokenizer t = hf("llama3");
        assertTrue(t.isEndOfGeneration(t.id("<|eot_id|>").orElseThrow()));
        assertArrayEquals(new int[] {128000}, t.encode("<|begin_of_text|>", false, true));
        assertEquals("llama3", t.preTokenizer());
    }

    @Test
    void deepseekV3_addsBosAndAlwaysMatchesItsUserMarker() {
        Tokenizer t = hf("deepseek_v3");
        int user = t.id("<｜User｜>").orElseThrow();
        assertEquals(0, t.encode("hi", true, false)[0]);
        assertTrue(contains(t.encode("<｜User｜>hi", false, false), user), "non-special added tokens always match");
        assertEquals("<｜User｜>hi", t.decode(t.encode("<｜User｜>hi")));
    }

    @Test
    void everyTokenizer_rendersSpecialTokensInRoundTrip() {
        for (Path source : AllTokenizers.sources()) {
            Tokenizer t = AllTokenizers.load(source);
            String text = "A " + t.tokenText(t.eosId()) + " B";
            assertEquals(text, t.decode(t.encode(text, false, true), true), AllTokenizers.name(source));
        }
    }
}
