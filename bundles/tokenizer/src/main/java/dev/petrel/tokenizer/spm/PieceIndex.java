package dev.petrel.tokenizer.spm;

import dev.petrel.tokenizer.core.Vocabulary;

/**
 * Looks up vocabulary entries by a span of a char array, without building a String per
 * lookup: SentencePiece tries every adjacent pair of pieces, and most tries miss.
 */
final class PieceIndex {

    private final String[] texts;
    private final int[] hashes;
    private final int[] ids;
    private final int shift;
    private final int mask;
    private final int maxLength;

    PieceIndex(Vocabulary vocabulary) {
        int slots = Integer.highestOneBit(Math.max(4, vocabulary.size()) * 2 - 1) * 2;
        texts = new String[slots];
        hashes = new int[slots];
        ids = new int[slots];
        shift = 32 - Integer.numberOfTrailingZeros(slots);
        mask = slots - 1;
        int longest = 0;
        for (int id = 0; id < vocabulary.size(); id++) {
            String text = vocabulary.text(id);
            if (text.isEmpty() || vocabulary.id(text) != id) {
                continue;
            }
            int hash = hash(text.toCharArray(), 0, text.length());
            int i = slot(hash);
            while (texts[i] != null) {
                i = (i + 1) & mask;
            }
            texts[i] = text;
            hashes[i] = hash;
            ids[i] = id;
            longest = Math.max(longest, text.length());
        }
        maxLength = longest;
    }

    private static int hash(char[] chars, int start, int length) {
        int h = length;
        for (int i = start; i < start + length; i++) {
            h = 31 * h + chars[i];
        }
        return h;
    }

    /** Fibonacci hashing: the high bits of a multiplication spread similar texts apart. */
    private int slot(int hash) {
        return (hash * 0x9E3779B9) >>> shift;
    }

    /** The id of the entry equal to {@code chars[start, start + length)}, or -1. */
    int find(char[] chars, int start, int length) {
        if (length > maxLength) {
            return -1;
        }
        int hash = hash(chars, start, length);
        int i = slot(hash);
        while (texts[i] != null) {
            String text = texts[i];
            if (hashes[i] == hash && text.length() == length && equal(text, chars, start)) {
                return ids[i];
            }
            i = (i + 1) & mask;
        }
        return -1;
    }

    private static boolean equal(String text, char[] chars, int start) {
        for (int k = 0; k < text.length(); k++) {
            if (text.charAt(k) != chars[start + k]) {
                return false;
            }
        }
        return true;
    }
}
