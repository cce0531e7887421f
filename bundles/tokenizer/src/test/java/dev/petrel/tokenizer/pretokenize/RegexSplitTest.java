package dev.petrel.tokenizer.pretokenize;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.petrel.tokenizer.core.IntList;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The split behaviors, on Hugging Face's own example text. */
class RegexSplitTest {

    private static final String TEXT = "the-final--countdown";

    private static List<String> split(SplitBehavior behavior, boolean invert, String regex) {
        IntList out = new IntList();
        new RegexSplit(Pattern.compile(regex), behavior, invert).over(TEXT).cut(0, TEXT.length(), out);
        List<String> pieces = new ArrayList<>();
        for (int i = 0; i < out.size(); i += 2) {
            pieces.add(TEXT.substring(out.get(i), out.get(i + 1)));
        }
        return pieces;
    }

    @Test
    void split_isolated_keepsMatchesAsPieces() {
        assertEquals(List.of("the", "-", "final", "-", "-", "countdown"), split(SplitBehavior.ISOLATED, false, "-"));
    }

    @Test
    void split_removed_dropsMatches() {
        assertEquals(List.of("the", "final", "countdown"), split(SplitBehavior.REMOVED, false, "-"));
    }

    @Test
    void split_mergedWithPrevious_appendsAMatchToTheTextBefore() {
        assertEquals(List.of("the-", "final-", "-", "countdown"), split(SplitBehavior.MERGED_WITH_PREVIOUS, false, "-"));
    }

    @Test
    void split_mergedWithNext_prependsAMatchToTheTextAfter() {
        assertEquals(List.of("the", "-final", "-", "-countdown"), split(SplitBehavior.MERGED_WITH_NEXT, false, "-"));
    }

    @Test
    void split_contiguous_joinsAdjacentMatches() {
        assertEquals(List.of("the", "-", "final", "--", "countdown"), split(SplitBehavior.CONTIGUOUS, false, "-"));
    }

    @Test
    void split_inverted_treatsTheTextBetweenMatchesAsDelimiters() {
        assertEquals(List.of("-", "-", "-"), split(SplitBehavior.REMOVED, true, "-"));
    }

    @Test
    void split_seesOnlyItsPiece() {
        IntList out = new IntList();
        // (?!\S) at the end of the piece succeeds although a letter follows in the text.
        new RegexSplit(RegexDialect.compileJava("\\s+(?!\\S)|\\s+"), SplitBehavior.ISOLATED, false)
                .over("a   b").cut(1, 4, out);
        assertEquals(2, out.size());
        assertEquals(1, out.get(0));
        assertEquals(4, out.get(1));
    }
}
