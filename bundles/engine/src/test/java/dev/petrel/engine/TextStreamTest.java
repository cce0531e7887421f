package dev.petrel.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.petrel.api.tokenizer.TokenKind;
import dev.petrel.api.tokenizer.Tokenizer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TextStreamTest {

    /** Token i stands for the bytes {@code pieces[i]}. */
    private record BytesTokenizer(byte[][] pieces) implements Tokenizer {
        public String model() { return "test"; }
        public String preTokenizer() { return "default"; }
        public int vocabularySize() { return pieces.length; }
        public int[] encode(String text, boolean addSpecial, boolean parseSpecial) { throw new UnsupportedOperationException(); }
        public String decode(int[] ids, boolean renderSpecial) { throw new UnsupportedOperationException(); }
        public byte[] tokenBytes(int id) { return pieces[id].clone(); }
        public String tokenText(int id) { return ""; }
        public TokenKind kind(int id) { return TokenKind.NORMAL; }
        public Optional<Integer> id(String tokenText) { return Optional.empty(); }
        public int bosId() { return -1; }
        public int eosId() { return -1; }
        public boolean isEndOfGeneration(int id) { return false; }
        public Optional<String> chatTemplate() { return Optional.empty(); }
    }

    private static final byte[] EURO = "€".getBytes(StandardCharsets.UTF_8);   // E2 82 AC

    private static final BytesTokenizer TOKENS = new BytesTokenizer(new byte[][] {
            "Hello".getBytes(StandardCharsets.UTF_8),
            " wor".getBytes(StandardCharsets.UTF_8),
            "ld".getBytes(StandardCharsets.UTF_8),
            {EURO[0]}, {EURO[1], EURO[2]},
            "END".getBytes(StandardCharsets.UTF_8),
            {(byte) 0xff},
            "E".getBytes(StandardCharsets.UTF_8),
    });

    private static List<String> pieces(TextStream stream, int... ids) {
        List<String> out = new ArrayList<>();
        for (int id : ids) {
            out.add(stream.append(id));
        }
        return out;
    }

    @Test
    void append_holdsAnIncompleteCharacterUntilItsLastByte() {
        TextStream s = new TextStream(TOKENS, List.of());
        assertEquals(List.of("Hello", "", "€"), pieces(s, 0, 3, 4));
        assertEquals("Hello€", s.text());
    }

    @Test
    void flush_endsAnUnfinishedCharacterAsReplacement() {
        TextStream s = new TextStream(TOKENS, List.of());
        assertEquals(List.of("Hello", ""), pieces(s, 0, 3));
        assertEquals("\uFFFD", s.flush());
        assertEquals("Hello\uFFFD", s.text());
    }

    @Test
    void append_decodesInvalidBytesAtOnce() {
        TextStream s = new TextStream(TOKENS, List.of());
        assertEquals(List.of("\uFFFD", "ld"), pieces(s, 6, 2));
    }

    @Test
    void stopString_cutsTheTextBeforeIt() {
        TextStream s = new TextStream(TOKENS, List.of("world"));
        assertEquals(List.of("Hello", " ", ""), pieces(s, 0, 1, 2));
        assertTrue(s.stopped());
        assertEquals("Hello ", s.text());
    }

    @Test
    void stopString_holdsAPossibleStartAndReleasesItWhenItDoesNotMatch() {
        TextStream s = new TextStream(TOKENS, List.of("ENDS"));
        assertEquals(List.of("Hello", "", "ENDHello"), pieces(s, 0, 5, 0));
        assertFalse(s.stopped());
    }

    @Test
    void stopString_heldTextIsReleasedAtFlush() {
        TextStream s = new TextStream(TOKENS, List.of("ENDS"));
        assertEquals(List.of("Hello", ""), pieces(s, 0, 5));
        assertFalse(s.stopped());
        assertEquals("END", s.flush());
        assertEquals("HelloEND", s.text());
    }

    @Test
    void stopString_thatSpansTokensAndCharactersStopsMidToken() {
        TextStream s = new TextStream(TOKENS, List.of("d€E"));
        assertEquals(List.of("Hello", " wor", "l", "", "", ""), pieces(s, 0, 1, 2, 3, 4, 7));
        assertTrue(s.stopped());
        assertEquals("Hello worl", s.text());
    }

    @Test
    void completeLength_cutsBeforeAnUnfinishedSequenceOnly() {
        assertEquals(0, TextStream.completeLength(new byte[] {EURO[0]}));
        assertEquals(1, TextStream.completeLength(new byte[] {'a', EURO[0], EURO[1]}));
        assertEquals(4, TextStream.completeLength(new byte[] {'a', EURO[0], EURO[1], EURO[2]}));
        assertEquals(2, TextStream.completeLength(new byte[] {'a', (byte) 0x82}));
    }
}
