package dev.petrel.tokenizer.bpe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.petrel.api.tokenizer.TokenKind;
import dev.petrel.tokenizer.core.IntList;
import dev.petrel.tokenizer.core.Vocabulary;
import dev.petrel.tokenizer.pretokenize.GgufPreTokenizers;
import dev.petrel.tokenizer.pretokenize.PreTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** BPE on a hand-made vocabulary: the 256 byte symbols and a few merges. */
class ByteLevelBpeEncoderTest {

    private final List<String> texts = new ArrayList<>();

    {
        for (int b = 0; b < 256; b++) {
            texts.add(String.valueOf(ByteLevelAlphabet.charOf(b)));
        }
    }

    private int id(String text) {
        int i = texts.indexOf(text);
        if (i < 0) {
            texts.add(text);
            return texts.size() - 1;
        }
        return i;
    }

    private ByteLevelBpeEncoder encoder(boolean ignoreMerges, String... merges) {
        List<int[]> rules = new ArrayList<>();
        for (String merge : merges) {
            String[] parts = merge.split(" ");
            rules.add(new int[] {id(parts[0]), id(parts[1]), id(parts[0] + parts[1])});
        }
        TokenKind[] kinds = new TokenKind[texts.size()];
        Arrays.fill(kinds, TokenKind.NORMAL);
        Vocabulary vocabulary = new Vocabulary(texts.toArray(new String[0]), kinds, null, (t, a, b) -> {});
        MergeTable table = new MergeTable(rules.size());
        for (int rank = 0; rank < rules.size(); rank++) {
            table.add(rules.get(rank)[0], rules.get(rank)[1], rank, rules.get(rank)[2]);
        }
        PreTokenizer pre = GgufPreTokenizers.byName("gpt-2").orElseThrow();
        return new ByteLevelBpeEncoder(pre, table, vocabulary, ignoreMerges, false);
    }

    private int[] encode(ByteLevelBpeEncoder encoder, String text) {
        IntList out = new IntList();
        encoder.encode(text, true, out);
        return out.toArray();
    }

    @Test
    void encode_appliesLowerRankFirst() {
        ByteLevelBpeEncoder encoder = encoder(false, "b c", "a b", "a bc");
        // "b c" outranks "a b", so abc becomes a + bc, then "a bc".
        assertArrayEquals(new int[] {id("abc")}, encode(encoder, "abc"));
    }

    @Test
    void encode_breaksRankTiesLeftmostFirst() {
        ByteLevelBpeEncoder encoder = encoder(false, "a a");
        assertArrayEquals(new int[] {id("aa"), id("a")}, encode(encoder, "aaa"));
    }

    @Test
    void encode_keepsWordsApart() {
        ByteLevelBpeEncoder encoder = encoder(false, "a Ġ", "Ġ b");
        assertArrayEquals(new int[] {id("a"), id("Ġb")}, encode(encoder, "a b"));
    }

    @Test
    void encode_withIgnoreMerges_takesAWholeWordEntry() {
        ByteLevelBpeEncoder plain = encoder(false, "a b");
        id("abc");
        ByteLevelBpeEncoder ignoring = encoder(true, "a b");
        assertArrayEquals(new int[] {id("ab"), id("c")}, encode(plain, "abc"));
        assertArrayEquals(new int[] {id("abc")}, encode(ignoring, "abc"));
    }

    @Test
    void encode_ofALongWord_isNotQuadratic() {
        ByteLevelBpeEncoder encoder = encoder(false, "a b", "ab ab", "abab abab");
        String word = "ab".repeat(200_000);
        long start = System.nanoTime();
        int[] ids = encode(encoder, word);
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(Arrays.stream(ids).allMatch(i -> i == id("abababab")), "all merged");
        assertTrue(millis < 2_000, "400 KB word took " + millis + " ms");
    }
}
