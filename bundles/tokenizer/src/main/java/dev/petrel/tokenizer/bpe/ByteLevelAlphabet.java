package dev.petrel.tokenizer.bpe;

import java.nio.charset.StandardCharsets;

/**
 * GPT-2's reversible mapping of the 256 byte values onto printable characters, which lets a
 * byte-level vocabulary store arbitrary bytes as text: printable Latin-1 bytes stand for
 * themselves, the others (controls, space, soft hyphen) take the characters from U+0100 on,
 * in byte order. A space thus appears as {@code Ġ} (U+0120) in vocabulary entries.
 */
public final class ByteLevelAlphabet {

    private static final char[] CHAR_OF_BYTE = new char[256];
    private static final int[] BYTE_OF_CHAR = new int[512];

    static {
        java.util.Arrays.fill(BYTE_OF_CHAR, -1);
        int next = 256;
        for (int b = 0; b < 256; b++) {
            char c = standsForItself(b) ? (char) b : (char) next++;
            CHAR_OF_BYTE[b] = c;
            BYTE_OF_CHAR[c] = b;
        }
    }

    private ByteLevelAlphabet() {}

    private static boolean standsForItself(int b) {
        return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    }

    public static char charOf(int unsignedByte) {
        return CHAR_OF_BYTE[unsignedByte];
    }

    /** The byte a character stands for, or -1 when it is not in the alphabet. */
    public static int byteOf(char c) {
        return c < BYTE_OF_CHAR.length ? BYTE_OF_CHAR[c] : -1;
    }

    /** The vocabulary form of {@code bytes}. */
    public static String encode(byte[] bytes) {
        char[] chars = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            chars[i] = CHAR_OF_BYTE[bytes[i] & 0xFF];
        }
        return new String(chars);
    }

    /**
     * The bytes a vocabulary entry stands for. An entry with a character outside the alphabet
     * (an added token written as plain text, such as {@code <｜User｜>}) stands for its own
     * UTF-8 bytes as a whole, as Hugging Face's ByteLevel decoder reads it.
     */
    public static byte[] decode(String text) {
        byte[] bytes = new byte[text.length()];
        for (int i = 0; i < text.length(); i++) {
            int b = byteOf(text.charAt(i));
            if (b < 0) {
                return text.getBytes(StandardCharsets.UTF_8);
            }
            bytes[i] = (byte) b;
        }
        return bytes;
    }
}
