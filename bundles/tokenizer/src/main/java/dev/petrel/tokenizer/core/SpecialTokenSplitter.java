package dev.petrel.tokenizer.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds special and added tokens written in a text and cuts the text around them, so the
 * model only sees the plain fragments between. At each position the longest token wins
 * (leftmost-longest, as Hugging Face's added-token matcher).
 */
public final class SpecialTokenSplitter {

    /**
     * A token to find in text.
     *
     * @param text its literal text
     * @param id its id
     * @param control true for control tokens, matched only when the caller parses special tokens;
     *        false for user-defined (added) tokens, always matched
     * @param lstrip whether whitespace before it is swallowed
     * @param rstrip whether whitespace after it is swallowed
     */
    public record Candidate(String text, int id, boolean control, boolean lstrip, boolean rstrip) {}

    /** Receives the fragments of a text in order. */
    public interface Sink {
        void text(String text, boolean followsBoundary);

        void token(int id);
    }

    private static final Candidate[] NONE = new Candidate[0];

    /** Candidates by their first char, longest first. */
    private final Map<Character, Candidate[]> byFirstChar;
    private final boolean hasAlwaysMatched;

    public SpecialTokenSplitter(List<Candidate> candidates) {
        Map<Character, List<Candidate>> groups = new HashMap<>();
        boolean always = false;
        for (Candidate c : candidates) {
            if (c.text().isEmpty()) {
                continue;
            }
            groups.computeIfAbsent(c.text().charAt(0), k -> new ArrayList<>()).add(c);
            always |= !c.control();
        }
        Map<Character, Candidate[]> sorted = new HashMap<>();
        groups.forEach((first, list) -> {
            Candidate[] array = list.toArray(NONE);
            Arrays.sort(array, Comparator.comparingInt((Candidate c) -> c.text().length()).reversed());
            sorted.put(first, array);
        });
        this.byFirstChar = Map.copyOf(sorted);
        this.hasAlwaysMatched = always;
    }

    /** Feeds {@code text} to {@code sink} as plain fragments and matched token ids. */
    public void split(String text, boolean parseSpecial, Sink sink) {
        if (byFirstChar.isEmpty() || (!parseSpecial && !hasAlwaysMatched)) {
            if (!text.isEmpty()) {
                sink.text(text, true);
            }
            return;
        }
        boolean followsBoundary = true;
        int fragmentStart = 0;
        int i = 0;
        while (i < text.length()) {
            Candidate match = longestAt(text, i, parseSpecial);
            if (match == null) {
                i++;
                continue;
            }
            int fragmentEnd = match.lstrip() ? skipWhitespaceBackward(text, i, fragmentStart) : i;
            if (fragmentEnd > fragmentStart) {
                sink.text(text.substring(fragmentStart, fragmentEnd), followsBoundary);
            }
            sink.token(match.id());
            followsBoundary = true;
            i += match.text().length();
            if (match.rstrip()) {
                i = skipWhitespaceForward(text, i);
            }
            fragmentStart = i;
        }
        if (fragmentStart < text.length()) {
            sink.text(text.substring(fragmentStart), followsBoundary);
        }
    }

    private Candidate longestAt(String text, int index, boolean parseSpecial) {
        Candidate[] candidates = byFirstChar.get(text.charAt(index));
        if (candidates == null) {
            return null;
        }
        for (Candidate c : candidates) {
            if ((parseSpecial || !c.control()) && text.startsWith(c.text(), index)) {
                return c;
            }
        }
        return null;
    }

    private static int skipWhitespaceBackward(String text, int end, int limit) {
        int i = end;
        while (i > limit && Character.isWhitespace(text.charAt(i - 1))) {
            i--;
        }
        return i;
    }

    private static int skipWhitespaceForward(String text, int start) {
        int i = start;
        while (i < text.length() && Character.isWhitespace(text.charAt(i))) {
            i++;
        }
        return i;
    }
}
