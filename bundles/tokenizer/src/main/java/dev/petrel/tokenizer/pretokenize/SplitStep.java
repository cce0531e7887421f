package dev.petrel.tokenizer.pretokenize;

import dev.petrel.tokenizer.core.IntList;

/** One step of pre-tokenization: cuts each piece of a text into smaller pieces. */
public interface SplitStep {

    /** Cuts pieces of one text; made per encode call, so it may keep matcher state. */
    interface Cutter {
        /** Appends the pieces of {@code text[start, end)} as [start, end) pairs to {@code out}. */
        void cut(int start, int end, IntList out);
    }

    Cutter over(String text);
}
