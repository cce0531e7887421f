package dev.petrel.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ReasoningSplitTest {

    @Test
    void of_splitsThinkSectionFromAnswer() {
        ReasoningSplit split = ReasoningSplit.of("<think>\nAdd two and two.\n</think>\n\n2 + 2 = 4.");
        assertEquals("Add two and two.", split.reasoning());
        assertEquals("2 + 2 = 4.", split.answer());
        assertTrue(split.reasoningClosed());
        assertTrue(split.hasReasoning());
    }

    @Test
    void of_plainAnswerHasNoReasoning() {
        ReasoningSplit split = ReasoningSplit.of("Just an answer.\n");
        assertEquals("", split.reasoning());
        assertEquals("Just an answer.\n", split.answer());
        assertFalse(split.hasReasoning());
    }

    @Test
    void of_promptOpenedReasoningNeedsOnlyTheClosingTag() {
        ReasoningSplit split = ReasoningSplit.of("Thinking it over.\n</think>\n\nDone.", true);
        assertEquals("Thinking it over.", split.reasoning());
        assertEquals("Done.", split.answer());
    }

    @Test
    void of_closingTagWithoutOpeningIsInferred() {
        ReasoningSplit split = ReasoningSplit.of("Hmm.\n</think>\n\nYes.");
        assertEquals("Hmm.", split.reasoning());
        assertEquals("Yes.", split.answer());
    }

    @Test
    void of_unclosedReasoningHasNoAnswerYet() {
        ReasoningSplit split = ReasoningSplit.of("<think>\nStill going", false);
        assertEquals("Still going", split.reasoning());
        assertEquals("", split.answer());
        assertFalse(split.reasoningClosed());
        assertTrue(split.hasReasoning());
    }

    @Test
    void of_emptyThinkBlockLeavesOnlyTheAnswer() {
        ReasoningSplit split = ReasoningSplit.of("<think>\n\n</think>\n\nHello!");
        assertEquals("", split.reasoning());
        assertEquals("Hello!", split.answer());
        assertFalse(split.hasReasoning());
    }

    @Test
    void opensReasoning_detectsPromptsEndingInThink() {
        assertTrue(ReasoningSplit.opensReasoning("<｜User｜>Hi<｜Assistant｜><think>\n"));
        assertFalse(ReasoningSplit.opensReasoning("<｜User｜>Hi<｜Assistant｜>"));
        assertFalse(ReasoningSplit.opensReasoning("<think>\n\n</think>\n\n"));
    }
}
