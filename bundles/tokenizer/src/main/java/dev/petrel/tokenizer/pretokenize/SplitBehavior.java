package dev.petrel.tokenizer.pretokenize;

/** What a split does with the matches of its pattern (Hugging Face's SplitDelimiterBehavior). */
public enum SplitBehavior {
    /** Matches are dropped. */
    REMOVED,
    /** Matches and the text between them become separate pieces. */
    ISOLATED,
    /** A match joins the piece before it. */
    MERGED_WITH_PREVIOUS,
    /** A match joins the piece after it. */
    MERGED_WITH_NEXT,
    /** Adjacent matches form one piece. */
    CONTIGUOUS
}
