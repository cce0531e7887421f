package dev.petrel.tokenizer.core;

import dev.petrel.api.tokenizer.TokenKind;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The token entries of a model: text, kind and score per id, and the reverse lookup.
 *
 * <p>Ids without an entry (gaps between a vocabulary and its added tokens) have empty
 * text and the kind {@link TokenKind#UNUSED}.
 */
public final class Vocabulary {

    /** Told about a text that two ids share; may throw to reject the vocabulary. */
    @FunctionalInterface
    public interface DuplicateHandler {
        void duplicate(String text, int firstId, int secondId);
    }

    private final String[] texts;
    private final TokenKind[] kinds;
    private final float[] scores;
    private final Map<String, Integer> ids;

    /**
     * @param texts entry per id, null for a gap
     * @param kinds kind per id, null entries meaning gaps
     * @param scores score per id (SentencePiece log probabilities), or null when the model has none
     * @param onDuplicate told when a text appears twice; the lower id keeps the text's lookup
     */
    public Vocabulary(String[] texts, TokenKind[] kinds, float[] scores, DuplicateHandler onDuplicate) {
        if (kinds.length != texts.length || (scores != null && scores.length != texts.length)) {
            throw new IllegalArgumentException("texts, kinds and scores differ in length");
        }
        this.texts = texts.clone();
        this.kinds = kinds.clone();
        this.scores = scores == null ? new float[texts.length] : scores.clone();
        this.ids = new HashMap<>(texts.length * 2);
        for (int id = 0; id < texts.length; id++) {
            if (this.texts[id] == null) {
                this.texts[id] = "";
                this.kinds[id] = TokenKind.UNUSED;
                continue;
            }
            Objects.requireNonNull(this.kinds[id], "kind");
            if (this.texts[id].isEmpty()) {
                continue;
            }
            Integer first = ids.putIfAbsent(this.texts[id], id);
            if (first != null) {
                onDuplicate.duplicate(this.texts[id], first, id);
            }
        }
    }

    public int size() {
        return texts.length;
    }

    public String text(int id) {
        return texts[Objects.checkIndex(id, texts.length)];
    }

    public TokenKind kind(int id) {
        return kinds[Objects.checkIndex(id, kinds.length)];
    }

    public float score(int id) {
        return scores[Objects.checkIndex(id, scores.length)];
    }

    /** The id of a text, or -1. */
    public int id(String text) {
        Integer id = ids.get(text);
        return id == null ? -1 : id;
    }

    public boolean contains(int id) {
        return id >= 0 && id < texts.length;
    }
}
