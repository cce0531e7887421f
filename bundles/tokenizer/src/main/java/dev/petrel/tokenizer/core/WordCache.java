package dev.petrel.tokenizer.core;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Ids of recently encoded words. Natural text repeats a small set of words, so most pieces
 * skip the merge loop. Bounded: it empties itself when full rather than tracking use.
 */
public final class WordCache {
    /** Longer words are rare and would crowd the cache out. */
    public static final int MAX_WORD_LENGTH = 48;

    private final int capacity;
    private final ConcurrentHashMap<String, int[]> words;

    public WordCache(int capacity) {
        this.capacity = capacity;
        this.words = new ConcurrentHashMap<>(Math.min(capacity, 4096));
    }

    public int[] get(String word) {
        return words.get(word);
    }

    public void put(String word, int[] ids) {
        if (word.length() > MAX_WORD_LENGTH) {
            return;
        }
        if (words.size() >= capacity) {
            words.clear();
        }
        words.put(word, ids);
    }
}
