package dev.petrel.tokenizer.spm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.petrel.api.tokenizer.TokenKind;
import dev.petrel.tokenizer.core.IntList;
import dev.petrel.tokenizer.core.Vocabulary;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** SentencePiece merging on a hand-made vocabulary with scores. */
class SentencePieceEncoderTest {

    private final List<String> texts = new ArrayList<>();
    private final List<Float> scores = new ArrayList<>();
    private final List<TokenKind> kinds = new ArrayList<>();

    {
        add("<unk>", 0, TokenKind.UNKNOWN);
        for (int b = 0; b < 256; b++) {
            add(SentencePieceEncoder.byteTokenText(b), 0, TokenKind.BYTE);
        }
        for (String single : List.of("▁", "a", "b", "c", "h", "i")) {
            add(single, -10, TokenKind.NORMAL);
        }
    }

    private int add(String text, float score, TokenKind kind) {
        texts.add(text);
        scores.add(score);
        kinds.add(kind);
        return texts.size() - 1;
    }

    private int id(String text) {
        return texts.indexOf(text);
    }

    private int[] encode(String text, boolean addSpacePrefix) {
        float[] s = new float[scores.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = scores.get(i);
        }
        Vocabulary vocabulary = new Vocabulary(texts.toArray(new String[0]), kinds.toArray(new TokenKind[0]), s, (t, a, b) -> {});
        IntList out = new IntList();
        new SentencePieceEncoder(vocabulary, addSpacePrefix, 0).encode(text, true, out);
        return out.toArray();
    }

    @Test
    void encode_joinsTheHighestScoringPairFirst() {
        add("ab", -3, TokenKind.NORMAL);
        add("bc", -1, TokenKind.NORMAL);
        add("abc", -2, TokenKind.NORMAL);
        // bc (-1) beats ab (-3); then a + bc makes abc.
        assertArrayEquals(new int[] {id("abc")}, encode("abc", false));
    }

    @Test
    void encode_breaksScoreTiesLeftmostFirst() {
        add("aa", -1, TokenKind.NORMAL);
        assertArrayEquals(new int[] {id("aa"), id("a")}, encode("aaa", false));
    }

    @Test
    void encode_marksSpacesAndAddsTheSpacePrefix() {
        add("hi", -2, TokenKind.NORMAL);
        add("▁hi", -1, TokenKind.NORMAL);
        assertArrayEquals(new int[] {id("▁hi"), id("▁hi")}, encode("hi hi", true));
        assertArrayEquals(new int[] {id("hi"), id("▁hi")}, encode("hi hi", false));
    }

    @Test
    void encode_fallsBackToUtf8ByteTokens() {
        assertArrayEquals(new int[] {id("a"), id("<0xC3>"), id("<0xA9>")}, encode("aé", false));
    }

    @Test
    void encode_usesAnEntryThatCrossesWords_whenTheVocabularyHasOne() {
        // "a▁b" joins a word to the next: words can no longer be merged one by one.
        add("a▁", -1, TokenKind.NORMAL);
        add("a▁b", -1, TokenKind.NORMAL);
        assertArrayEquals(new int[] {id("▁"), id("a▁b")}, encode("a b", true));
    }
}
