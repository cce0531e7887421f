package dev.petrel.tokenizer.pretokenize;

import dev.petrel.tokenizer.core.IntList;
import java.util.List;

/**
 * Cuts text into the pieces ("words") that BPE encodes one by one, by a sequence of splits
 * (mostly regexes), each applied to every piece the previous one left. Pieces never cross, so merges
 * never join across a word boundary.
 */
public final class PreTokenizer {

    private final String name;
    private final List<SplitStep> steps;

    /**
     * @param name what {@code Tokenizer.preTokenizer()} reports, for example {@code llama3}
     * @param steps the splits in order; none means the whole text is one piece
     */
    public PreTokenizer(String name, List<SplitStep> steps) {
        this.name = name;
        this.steps = List.copyOf(steps);
    }

    public String name() {
        return name;
    }

    public List<SplitStep> steps() {
        return steps;
    }

    /** The pieces of {@code text} as [start, end) pairs, in order, none of them empty. */
    public IntList split(String text) {
        IntList pieces = new IntList();
        if (text.isEmpty()) {
            return pieces;
        }
        pieces.add(0, text.length());
        for (SplitStep step : steps) {
            IntList next = new IntList(pieces.size() * 2);
            SplitStep.Cutter cutter = step.over(text);
            for (int i = 0; i < pieces.size(); i += 2) {
                cutter.cut(pieces.get(i), pieces.get(i + 1), next);
            }
            pieces = next;
        }
        return pieces;
    }
}
