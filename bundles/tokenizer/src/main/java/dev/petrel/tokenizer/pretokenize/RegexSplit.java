package dev.petrel.tokenizer.pretokenize;

import dev.petrel.tokenizer.core.IntList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One splitting step: cuts a piece of text at the matches of a pattern. The pattern sees only
 * the piece (opaque region bounds), as each step of a Hugging Face pre-tokenizer sequence and
 * each regex of llama.cpp's lists works on the pieces of the step before.
 */
public final class RegexSplit implements SplitStep {

    private final Pattern pattern;
    private final SplitBehavior behavior;
    private final boolean invert;

    public RegexSplit(Pattern pattern, SplitBehavior behavior, boolean invert) {
        this.pattern = pattern;
        this.behavior = behavior;
        this.invert = invert;
    }

    /** The usual step: every match and every stretch between matches is a piece. */
    public static RegexSplit isolating(Pattern pattern) {
        return new RegexSplit(pattern, SplitBehavior.ISOLATED, false);
    }

    public Pattern pattern() {
        return pattern;
    }

    @Override
    public Cutter over(String text) {
        Matcher matcher = pattern.matcher(text);
        return (start, end, out) -> split(matcher, start, end, out);
    }

    private void split(Matcher matcher, int start, int end, IntList out) {
        matcher.region(start, end);
        if (behavior == SplitBehavior.ISOLATED) {
            // Fast path for the common case; inverting changes nothing here.
            int last = start;
            while (matcher.find()) {
                if (matcher.end() == matcher.start()) {
                    continue;
                }
                if (matcher.start() > last) {
                    out.add(last, matcher.start());
                }
                out.add(matcher.start(), matcher.end());
                last = matcher.end();
            }
            if (last < end) {
                out.add(last, end);
            }
            return;
        }
        IntList segments = new IntList();
        int last = start;
        while (matcher.find()) {
            if (matcher.end() == matcher.start()) {
                continue;
            }
            if (matcher.start() > last) {
                segments.add(last, matcher.start());
                segments.add(invert ? 1 : 0);
            }
            segments.add(matcher.start(), matcher.end());
            segments.add(invert ? 0 : 1);
            last = matcher.end();
        }
        if (last < end) {
            segments.add(last, end);
            segments.add(invert ? 1 : 0);
        }
        applyBehavior(segments, out);
    }

    /**
     * {@code segments} holds (start, end, isDelimiter) triples in text order. A delimiter joins
     * a neighbour only when that neighbour is not a delimiter itself, as in Hugging Face.
     */
    private void applyBehavior(IntList segments, IntList out) {
        int pendingStart = -1;
        int pendingEnd = -1;
        boolean pendingEndsWithDelimiter = false;
        for (int i = 0; i < segments.size(); i += 3) {
            int s = segments.get(i);
            int e = segments.get(i + 1);
            boolean delimiter = segments.get(i + 2) == 1;
            boolean join = switch (behavior) {
                case MERGED_WITH_PREVIOUS -> delimiter && pendingStart >= 0 && !pendingEndsWithDelimiter;
                case MERGED_WITH_NEXT -> !delimiter && pendingStart >= 0 && pendingEndsWithDelimiter;
                case CONTIGUOUS -> delimiter && pendingStart >= 0 && pendingEndsWithDelimiter;
                case REMOVED, ISOLATED -> false;
            };
            if (behavior == SplitBehavior.REMOVED && delimiter) {
                continue;
            }
            if (join) {
                pendingEnd = e;
            } else {
                flush(pendingStart, pendingEnd, out);
                pendingStart = s;
                pendingEnd = e;
            }
            pendingEndsWithDelimiter = delimiter;
        }
        flush(pendingStart, pendingEnd, out);
    }

    private static void flush(int start, int end, IntList out) {
        if (start >= 0 && end > start) {
            out.add(start, end);
        }
    }
}
