package dev.petrel.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReasoningStreamTest {

    /** Collects what the stream passes on, and checks nothing of a tag leaks. */
    private static final class Collector implements ReasoningStream.Sink {
        final StringBuilder reasoning = new StringBuilder();
        final StringBuilder answer = new StringBuilder();
        final List<String> events = new ArrayList<>();

        @Override
        public void reasoning(String text) {
            reasoning.append(text);
            events.add("R:" + text);
        }

        @Override
        public void answer(String text) {
            answer.append(text);
            events.add("A:" + text);
        }
    }

    private static Collector feed(boolean promptOpened, String... chunks) {
        Collector sink = new Collector();
        ReasoningStream stream = new ReasoningStream(promptOpened, sink);
        for (String chunk : chunks) {
            stream.accept(chunk);
        }
        ReasoningSplit split = stream.finish();
        assertEquals(split.reasoning(), sink.reasoning.toString());
        assertEquals(split.answer(), sink.answer.toString());
        return sink;
    }

    @Test
    void accept_tagsCutAcrossChunksAreHeldBack() {
        Collector sink = feed(false, "<thi", "nk>\nLet me ", "see.\n</th", "ink>\n\n", "Four", ".");
        assertEquals("Let me see.", sink.reasoning.toString());
        assertEquals("Four.", sink.answer.toString());
        assertFalse(sink.events.stream().anyMatch(e -> e.contains("<") || e.contains(">")), sink.events.toString());
    }

    @Test
    void accept_oneTokenAtATimeMatchesWholeSplit() {
        String text = "<think>\nStep 1.\nStep 2.\n</think>\n\nThe answer is 4.";
        Collector sink = new Collector();
        ReasoningStream stream = new ReasoningStream(false, sink);
        for (int i = 0; i < text.length(); i++) {
            stream.accept(text.substring(i, i + 1));
        }
        ReasoningSplit split = stream.finish();
        assertEquals(ReasoningSplit.of(text), split);
        assertEquals("Step 1.\nStep 2.", sink.reasoning.toString());
        assertEquals("The answer is 4.", sink.answer.toString());
    }

    @Test
    void accept_promptOpenedReasoningStartsInReasoning() {
        Collector sink = feed(true, "Thinking", "...\n</think>", "\n\nDone.");
        assertEquals("Thinking...", sink.reasoning.toString());
        assertEquals("Done.", sink.answer.toString());
    }

    @Test
    void accept_plainTextGoesStraightToTheAnswer() {
        Collector sink = feed(false, "Hel", "lo <b>there</b>");
        assertEquals("", sink.reasoning.toString());
        assertEquals("Hello <b>there</b>", sink.answer.toString());
    }

    @Test
    void accept_ltThatIsNotATagIsReleasedInReasoning() {
        Collector sink = feed(true, "a <", " b", "</think>x");
        assertEquals("a < b", sink.reasoning.toString());
        assertEquals("x", sink.answer.toString());
    }

    @Test
    void finish_unclosedReasoningReportsOpen() {
        Collector sink = new Collector();
        ReasoningStream stream = new ReasoningStream(false, sink);
        stream.accept("<think>\nhalf a thou");
        ReasoningSplit split = stream.finish();
        assertFalse(split.reasoningClosed());
        assertEquals("half a thou", split.reasoning());
        assertEquals("", split.answer());
    }
}
