package dev.petrel.tokenizer.core;

/** Encodes plain text (a fragment between special tokens) with a tokenizer model. */
@FunctionalInterface
public interface FragmentEncoder {

    /**
     * Appends the ids of {@code text} to {@code out}.
     *
     * @param followsBoundary whether the fragment starts the text or follows a special token;
     *        SentencePiece adds its space prefix only there
     */
    void encode(String text, boolean followsBoundary, IntList out);
}
