package dev.petrel.tokenizer.bpe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ByteLevelAlphabetTest {

    @Test
    void charOf_givesEachByteItsOwnPrintableChar() {
        Set<Character> chars = new HashSet<>();
        for (int b = 0; b < 256; b++) {
            char c = ByteLevelAlphabet.charOf(b);
            chars.add(c);
            assertEquals(b, ByteLevelAlphabet.byteOf(c));
            assertEquals(false, Character.isWhitespace(c) || Character.isISOControl(c), "byte " + b);
        }
        assertEquals(256, chars.size());
    }

    @Test
    void charOf_followsGpt2Numbering() {
        assertEquals('!', ByteLevelAlphabet.charOf('!'));
        assertEquals('\u0100', ByteLevelAlphabet.charOf(0x00));
        assertEquals('\u010A', ByteLevelAlphabet.charOf('\n'));
        assertEquals('\u0120', ByteLevelAlphabet.charOf(' '));
        assertEquals('\u0143', ByteLevelAlphabet.charOf(0xAD));
    }

    @Test
    void decode_ofEncode_isTheBytes() {
        byte[] bytes = "Grüße 🦙\n".getBytes(StandardCharsets.UTF_8);
        assertArrayEquals(bytes, ByteLevelAlphabet.decode(ByteLevelAlphabet.encode(bytes)));
    }

    @Test
    void decode_ofTextOutsideTheAlphabet_isItsUtf8() {
        assertArrayEquals("<｜User｜>".getBytes(StandardCharsets.UTF_8), ByteLevelAlphabet.decode("<｜User｜>"));
    }
}
