package dev.petrel.chat;

import java.util.Objects;

/**
 * A generated text split into its reasoning (the {@code <think>} section) and its answer.
 *
 * <p>The opening tag may be missing from the text: DeepSeek-R1's newer templates end the
 * prompt with {@code <think>\n}, so the model starts inside its reasoning and only writes the
 * closing tag. Tell {@link #of(String, boolean)} so, or let {@link #of(String)} infer it from
 * a closing tag without an opening one.
 *
 * @param reasoning the text between the tags, without the new lines that surround it; empty
 *        when the model did not reason
 * @param answer the text after the closing tag, without the blank lines that lead it (all of
 *        the text when there is no reasoning); this is what goes back into the chat history
 * @param reasoningClosed false while (or when) the reasoning never reached its closing tag;
 *        the answer is then empty
 */
public record ReasoningSplit(String reasoning, String answer, boolean reasoningClosed) {

    /** Opens the reasoning section. */
    public static final String OPEN_TAG = "<think>";
    /** Closes the reasoning section. */
    public static final String CLOSE_TAG = "</think>";

    public ReasoningSplit {
        Objects.requireNonNull(reasoning, "reasoning");
        Objects.requireNonNull(answer, "answer");
    }

    /** Splits a text whose prompt did not open the reasoning section itself. */
    public static ReasoningSplit of(String generated) {
        return of(generated, false);
    }

    /**
     * Splits a generated text.
     *
     * @param promptOpenedReasoning the rendered prompt ended inside a {@code <think>} section
     *        (see {@link #opensReasoning(String)})
     */
    public static ReasoningSplit of(String generated, boolean promptOpenedReasoning) {
        Objects.requireNonNull(generated, "generated");
        String text = generated;
        String lead = stripLeading(text);
        boolean inReasoning = promptOpenedReasoning;
        if (lead.startsWith(OPEN_TAG)) {
            text = lead.substring(OPEN_TAG.length());
            inReasoning = true;
        }
        int close = text.indexOf(CLOSE_TAG);
        if (!inReasoning && close < 0) {
            return new ReasoningSplit("", generated, true);
        }
        if (close < 0) {
            return new ReasoningSplit(trimNewlines(text), "", false);
        }
        String reasoning = trimNewlines(text.substring(0, close));
        String answer = stripLeading(text.substring(close + CLOSE_TAG.length()));
        return new ReasoningSplit(reasoning, answer, true);
    }

    /** Whether the model reasoned (the section may still be open). */
    public boolean hasReasoning() {
        return !reasoning.isEmpty() || !reasoningClosed;
    }

    /**
     * Whether a rendered prompt ends inside a reasoning section, as DeepSeek-R1's template does
     * when it ends the generation prompt with {@code <think>\n}: the model's text then starts
     * with reasoning and has no opening tag.
     */
    public static boolean opensReasoning(String renderedPrompt) {
        String end = renderedPrompt.stripTrailing();
        int open = end.lastIndexOf(OPEN_TAG);
        return open >= 0 && open + OPEN_TAG.length() == end.length();
    }

    static String stripLeading(String s) {
        int i = 0;
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
            i++;
        }
        return s.substring(i);
    }

    static String trimNewlines(String s) {
        int b = 0;
        int e = s.length();
        while (b < e && (s.charAt(b) == '\n' || s.charAt(b) == '\r')) {
            b++;
        }
        while (e > b && (s.charAt(e - 1) == '\n' || s.charAt(e - 1) == '\r')) {
            e--;
        }
        return s.substring(b, e);
    }
}
