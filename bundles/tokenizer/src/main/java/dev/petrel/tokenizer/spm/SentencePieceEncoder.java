package dev.petrel.tokenizer.spm;

import dev.petrel.tokenizer.core.FragmentEncoder;
import dev.petrel.tokenizer.core.IntList;
import dev.petrel.tokenizer.core.LongMinHeap;
import dev.petrel.tokenizer.core.Vocabulary;
import dev.petrel.tokenizer.core.WordCache;
import java.nio.charset.StandardCharsets;

/**
 * SentencePiece BPE as llama.cpp runs it for {@code tokenizer.ggml.model = llama}: spaces
 * become {@code ▁}, a space is put in front of the text (and after each special token), then
 * adjacent pieces join while their concatenation is a vocabulary entry, the entry with the
 * highest score first (the leftmost on ties). Pieces left outside the vocabulary fall back to
 * their UTF-8 bytes as {@code <0xXX>} tokens.
 */
public final class SentencePieceEncoder implements FragmentEncoder {

    /** SentencePiece's visible space, U+2581. */
    public static final char SPACE_MARK = '\u2581';

    private final Vocabulary vocabulary;
    private final boolean addSpacePrefix;
    private final int[] byteTokens;
    private final int unknownId;
    private final PieceIndex pieces;
    /** Whether no entry joins a word to the space mark of the next: then words merge alone. */
    private final boolean wordsAreIndependent;
    private final WordCache cache = new WordCache(1 << 16);

    /**
     * @param addSpacePrefix whether text at a boundary (start, after a special token) gets a space
     * @param unknownId used for a byte without a byte token, or -1 to drop such bytes
     */
    public SentencePieceEncoder(Vocabulary vocabulary, boolean addSpacePrefix, int unknownId) {
        this.vocabulary = vocabulary;
        this.addSpacePrefix = addSpacePrefix;
        this.unknownId = unknownId;
        this.pieces = new PieceIndex(vocabulary);
        this.wordsAreIndependent = noEntryJoinsWords(vocabulary);
        this.byteTokens = new int[256];
        for (int b = 0; b < 256; b++) {
            int id = vocabulary.id(byteTokenText(b));
            if (id < 0 && b < 0x80) {
                id = vocabulary.id(String.valueOf((char) b));
            }
            byteTokens[b] = id;
        }
    }

    /** The vocabulary text of the byte-fallback token for {@code b}, for example {@code <0x0A>}. */
    public static String byteTokenText(int b) {
        return String.format("<0x%02X>", b);
    }

    /**
     * True when no vocabulary entry has a space mark right after another character. A piece
     * ending a word then never joins the space mark starting the next one, so cutting the
     * text before each such mark gives the same tokens as merging it whole, with small heaps
     * and words that repeat served from the cache.
     */
    private static boolean noEntryJoinsWords(Vocabulary vocabulary) {
        for (int id = 0; id < vocabulary.size(); id++) {
            String text = vocabulary.text(id);
            for (int i = 1; i < text.length(); i++) {
                if (text.charAt(i) == SPACE_MARK && text.charAt(i - 1) != SPACE_MARK) {
                    return false;
                }
            }
        }
        return true;
    }

    @Override
    public void encode(String text, boolean followsBoundary, IntList out) {
        String prefixed = addSpacePrefix && followsBoundary ? " " + text : text;
        if (prefixed.isEmpty()) {
            return;
        }
        String escaped = prefixed.replace(' ', SPACE_MARK);
        if (!wordsAreIndependent) {
            new Session(escaped).run(out);
            return;
        }
        int wordStart = 0;
        for (int i = 1; i <= escaped.length(); i++) {
            if (i == escaped.length() || (escaped.charAt(i) == SPACE_MARK && escaped.charAt(i - 1) != SPACE_MARK)) {
                encodeWord(escaped.substring(wordStart, i), out);
                wordStart = i;
            }
        }
    }

    private void encodeWord(String word, IntList out) {
        int[] ids = cache.get(word);
        if (ids == null) {
            IntList fresh = new IntList(word.length());
            new Session(word).run(fresh);
            ids = fresh.toArray();
            cache.put(word, ids);
        }
        out.addAll(ids);
    }

    /**
     * The merge state of one text: pieces as a linked list of [start, start + length) spans,
     * candidate joins in a heap keyed by (score descending, left piece ascending).
     */
    private final class Session {
        private final char[] text;
        private final int[] start;
        private final int[] length;
        private final int[] prev;
        private final int[] next;
        private final LongMinHeap candidates;

        Session(String text) {
            this.text = text.toCharArray();
            int n = text.codePointCount(0, text.length());
            start = new int[n];
            length = new int[n];
            prev = new int[n];
            next = new int[n];
            candidates = new LongMinHeap(n);
            int offset = 0;
            for (int i = 0; i < n; i++) {
                int charCount = Character.charCount(text.codePointAt(offset));
                start[i] = offset;
                length[i] = charCount;
                prev[i] = i - 1;
                next[i] = i + 1 < n ? i + 1 : -1;
                offset += charCount;
            }
        }

        void run(IntList out) {
            for (int i = 1; i < start.length; i++) {
                offer(i - 1, i);
            }
            while (!candidates.isEmpty()) {
                long top = candidates.poll();
                int left = (int) top;
                int right = next[left];
                // Stale if either piece has changed since the offer: the join now at left must be
                // an entry of the offered score. A different join of equal score at the same place
                // has its own offer with this very key, so taking it now keeps the reference order.
                if (length[left] == 0 || right < 0) {
                    continue;
                }
                int joined = pieces.find(text, start[left], length[left] + length[right]);
                if (joined < 0 || key(vocabulary.score(joined), left) != top) {
                    continue;
                }
                length[left] += length[right];
                length[right] = 0;
                next[left] = next[right];
                if (next[right] >= 0) {
                    prev[next[right]] = left;
                }
                offer(prev[left], left);
                offer(left, next[left]);
            }
            for (int i = 0; i >= 0; i = next[i]) {
                emit(i, out);
            }
        }

        private void offer(int left, int right) {
            if (left < 0 || right < 0) {
                return;
            }
            int id = pieces.find(text, start[left], length[left] + length[right]);
            if (id >= 0) {
                candidates.add(key(vocabulary.score(id), left));
            }
        }

        private void emit(int piece, IntList out) {
            int id = pieces.find(text, start[piece], length[piece]);
            if (id >= 0) {
                out.add(id);
                return;
            }
            String unknown = new String(text, start[piece], length[piece]);
            for (byte b : unknown.getBytes(StandardCharsets.UTF_8)) {
                int byteId = byteTokens[b & 0xFF];
                int fallback = byteId >= 0 ? byteId : unknownId;
                if (fallback >= 0) {
                    out.add(fallback);
                }
            }
        }
    }

    /** Heap key: higher scores first, then the leftmost piece. */
    private static long key(float score, int left) {
        int bits = Float.floatToIntBits(score);
        int ascending = bits >= 0 ? bits : bits ^ 0x7FFFFFFF;
        return ((long) ~ascending << 32) | left;
    }
}
