package dev.petrel.tokenizer.bpe;

import dev.petrel.tokenizer.core.FragmentEncoder;
import dev.petrel.tokenizer.core.IntList;
import dev.petrel.tokenizer.core.Vocabulary;
import dev.petrel.tokenizer.core.WordCache;
import dev.petrel.tokenizer.pretokenize.PreTokenizer;
import java.nio.charset.StandardCharsets;

/**
 * Byte-level BPE (GPT-2 and its descendants): the pre-tokenizer cuts text into words, each
 * word's UTF-8 bytes become one symbol each, and merges join symbols by rank.
 */
public final class ByteLevelBpeEncoder implements FragmentEncoder {

    private static final int CACHE_WORDS = 1 << 16;

    private final PreTokenizer preTokenizer;
    private final MergeTable merges;
    private final Vocabulary vocabulary;
    private final int[] byteTokens;
    private final boolean ignoreMerges;
    private final boolean addPrefixSpace;
    private final WordCache cache = new WordCache(CACHE_WORDS);

    /**
     * @param ignoreMerges a word that is itself a vocabulary entry is that token, whatever
     *        the merges would make of it (Llama 3)
     * @param addPrefixSpace a fragment not starting with a space gets one (GPT-2's option)
     */
    public ByteLevelBpeEncoder(PreTokenizer preTokenizer, MergeTable merges, Vocabulary vocabulary,
            boolean ignoreMerges, boolean addPrefixSpace) {
        this.preTokenizer = preTokenizer;
        this.merges = merges;
        this.vocabulary = vocabulary;
        this.ignoreMerges = ignoreMerges;
        this.addPrefixSpace = addPrefixSpace;
        this.byteTokens = new int[256];
        for (int b = 0; b < 256; b++) {
            byteTokens[b] = vocabulary.id(String.valueOf(ByteLevelAlphabet.charOf(b)));
        }
    }

    @Override
    public void encode(String text, boolean followsBoundary, IntList out) {
        String input = addPrefixSpace && !text.isEmpty() && text.charAt(0) != ' ' ? " " + text : text;
        IntList pieces = preTokenizer.split(input);
        for (int i = 0; i < pieces.size(); i += 2) {
            String word = input.substring(pieces.get(i), pieces.get(i + 1));
            int[] cached = cache.get(word);
            if (cached == null) {
                cached = encodeWord(word);
                cache.put(word, cached);
            }
            out.addAll(cached);
        }
    }

    private int[] encodeWord(String word) {
        byte[] bytes = word.getBytes(StandardCharsets.UTF_8);
        if (ignoreMerges) {
            int whole = vocabulary.id(ByteLevelAlphabet.encode(bytes));
            if (whole >= 0) {
                return new int[] {whole};
            }
        }
        int[] symbols = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            symbols[i] = byteTokens[bytes[i] & 0xFF];
        }
        IntList ids = new IntList(bytes.length);
        BpeMerger.merge(symbols, merges, ids);
        return ids.toArray();
    }
}
