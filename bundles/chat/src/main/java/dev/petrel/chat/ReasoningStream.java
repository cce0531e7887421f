package dev.petrel.chat;

import java.util.Objects;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Splits streamed text into reasoning and answer as it arrives, for a console that shows the
 * {@code <think>} section apart from the answer (or hides it). A tag cut across two chunks is
 * held back until it is whole; the new lines around the reasoning and the blank lines that
 * lead the answer are dropped, as {@link ReasoningSplit} drops them. Not thread-safe: one
 * stream per generation.
 */
public final class ReasoningStream {

    /** Receives the two parts as they come. */
    @ConsumerType
    public interface Sink {
        /** Text of the reasoning section. */
        void reasoning(String text);

        /** Text of the answer. */
        void answer(String text);
    }

    private enum State { START, REASONING, AFTER_CLOSE, ANSWER }

    private final Sink sink;
    private final StringBuilder pending = new StringBuilder();
    private final StringBuilder reasoning = new StringBuilder();
    private final StringBuilder answer = new StringBuilder();
    private State state;

    /**
     * @param promptOpenedReasoning the prompt ended inside a {@code <think>} section (see
     *        {@link ReasoningSplit#opensReasoning(String)}), so the text starts with reasoning
     */
    public ReasoningStream(boolean promptOpenedReasoning, Sink sink) {
        this.sink = Objects.requireNonNull(sink, "sink");
        this.state = promptOpenedReasoning ? State.REASONING : State.START;
    }

    /** Takes the next piece of generated text. */
    public void accept(String chunk) {
        pending.append(chunk);
        drain(false);
    }

    /** Ends the stream: passes on what was held back and returns the whole split. */
    public ReasoningSplit finish() {
        drain(true);
        return new ReasoningSplit(reasoning.toString(), answer.toString(), state != State.REASONING);
    }

    private void drain(boolean last) {
        boolean progress = true;
        while (progress && !pending.isEmpty()) {
            progress = switch (state) {
                case START -> start(last);
                case REASONING -> reason(last);
                case AFTER_CLOSE -> afterClose();
                case ANSWER -> {
                    emitAnswer(pending.toString());
                    pending.setLength(0);
                    yield false;
                }
            };
        }
    }

    private boolean start(boolean last) {
        String lead = ReasoningSplit.stripLeading(pending.toString());
        if (lead.startsWith(ReasoningSplit.OPEN_TAG)) {
            pending.setLength(0);
            pending.append(lead, ReasoningSplit.OPEN_TAG.length(), lead.length());
            state = State.REASONING;
            return true;
        }
        if (!last && ReasoningSplit.OPEN_TAG.startsWith(lead)) {
            return false;
        }
        state = State.ANSWER;
        return true;
    }

    private boolean reason(boolean last) {
        if (reasoning.isEmpty()) {
            int b = 0;
            while (b < pending.length() && isNewline(pending.charAt(b))) {
                b++;
            }
            pending.delete(0, b);
        }
        String text = pending.toString();
        int close = text.indexOf(ReasoningSplit.CLOSE_TAG);
        if (close >= 0) {
            emitReasoning(ReasoningSplit.trimNewlines(text.substring(0, close)));
            pending.delete(0, close + ReasoningSplit.CLOSE_TAG.length());
            state = State.AFTER_CLOSE;
            return true;
        }
        int keep = last ? 0 : partialTagLength(text);
        int end = text.length() - keep;
        while (end > 0 && isNewline(text.charAt(end - 1))) {
            end--;
        }
        if (end > 0) {
            emitReasoning(text.substring(0, end));
            pending.delete(0, end);
        }
        if (last) {
            pending.setLength(0);
        }
        return false;
    }

    private boolean afterClose() {
        String rest = ReasoningSplit.stripLeading(pending.toString());
        pending.setLength(0);
        if (rest.isEmpty()) {
            return false;
        }
        pending.append(rest);
        state = State.ANSWER;
        return true;
    }

    /** Length of the longest end of {@code text} that could begin the closing tag. */
    private static int partialTagLength(String text) {
        String tag = ReasoningSplit.CLOSE_TAG;
        for (int n = Math.min(tag.length() - 1, text.length()); n > 0; n--) {
            if (text.endsWith(tag.substring(0, n))) {
                return n;
            }
        }
        return 0;
    }

    private static boolean isNewline(char c) {
        return c == '\n' || c == '\r';
    }

    private void emitReasoning(String text) {
        if (!text.isEmpty()) {
            reasoning.append(text);
            sink.reasoning(text);
        }
    }

    private void emitAnswer(String text) {
        if (!text.isEmpty()) {
            answer.append(text);
            sink.answer(text);
        }
    }
}
