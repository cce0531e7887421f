package dev.petrel.tokenizer.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SpecialTokenSplitterTest {

    private static List<String> split(SpecialTokenSplitter splitter, String text, boolean parseSpecial) {
        List<String> parts = new ArrayList<>();
        splitter.split(text, parseSpecial, new SpecialTokenSplitter.Sink() {
            @Override
            public void text(String fragment, boolean followsBoundary) {
                parts.add((followsBoundary ? "|" : "") + fragment);
            }

            @Override
            public void token(int id) {
                parts.add("#" + id);
            }
        });
        return parts;
    }

    private static SpecialTokenSplitter.Candidate control(String text, int id) {
        return new SpecialTokenSplitter.Candidate(text, id, true, false, false);
    }

    @Test
    void split_findsControlTokensOnlyWhenParsingSpecialTokens() {
        SpecialTokenSplitter splitter = new SpecialTokenSplitter(List.of(control("<s>", 1)));
        assertEquals(List.of("#1", "|hi ", "#1"), split(splitter, "<s>hi <s>", true));
        assertEquals(List.of("|<s>hi <s>"), split(splitter, "<s>hi <s>", false));
    }

    @Test
    void split_alwaysFindsUserDefinedTokens() {
        SpecialTokenSplitter splitter = new SpecialTokenSplitter(
                List.of(new SpecialTokenSplitter.Candidate("<tool>", 7, false, false, false)));
        assertEquals(List.of("|a", "#7", "|b"), split(splitter, "a<tool>b", false));
    }

    @Test
    void split_prefersTheLongestTokenAtAPosition() {
        SpecialTokenSplitter splitter = new SpecialTokenSplitter(List.of(control("<|a|>", 1), control("<|a|><|b|>", 2)));
        assertEquals(List.of("#2", "|x"), split(splitter, "<|a|><|b|>x", true));
    }

    @Test
    void split_swallowsWhitespaceOnStrippingSides() {
        SpecialTokenSplitter splitter = new SpecialTokenSplitter(
                List.of(new SpecialTokenSplitter.Candidate("<m>", 3, true, true, true)));
        assertEquals(List.of("|a", "#3", "|b"), split(splitter, "a  <m> \n b", true));
    }

    @Test
    void split_marksOnlyTheFirstFragmentAndThoseAfterTokensAsBoundaries() {
        SpecialTokenSplitter splitter = new SpecialTokenSplitter(List.of());
        assertEquals(List.of("|plain text"), split(splitter, "plain text", true));
        assertEquals(List.of(), split(splitter, "", true));
    }
}
