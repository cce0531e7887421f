package dev.petrel.tokenizer.pretokenize;

import java.util.BitSet;

/**
 * The split {@code \s?[SET]+} (isolated) for a large set of code points given by ranges. It
 * cuts exactly as that regex would, but tests membership in a bit set: java.util.regex checks
 * a class of many ranges one range after another, which made this step ten times slower than
 * the rest of pre-tokenization together.
 */
final class LetterRunSplit implements SplitStep {

    private final BitSet letters;

    /** @param ranges inclusive [first, last] code point pairs */
    LetterRunSplit(int[] ranges) {
        letters = new BitSet();
        for (int i = 0; i < ranges.length; i += 2) {
            letters.set(ranges[i], ranges[i + 1] + 1);
        }
    }

    private boolean isLetter(String text, int index, int end) {
        return index < end && letters.get(text.codePointAt(index));
    }

    @Override
    public Cutter over(String text) {
        return (start, end, out) -> {
            int last = start;
            int i = start;
            while (i < end) {
                int cp = text.codePointAt(i);
                int width = Character.charCount(cp);
                int matchStart;
                int runStart;
                if (WhiteSpace.is(cp) && isLetter(text, i + width, end)) {
                    matchStart = i;
                    runStart = i + width;
                } else if (letters.get(cp)) {
                    matchStart = i;
                    runStart = i;
                } else {
                    i += width;
                    continue;
                }
                int j = runStart;
                while (isLetter(text, j, end)) {
                    j += Character.charCount(text.codePointAt(j));
                }
                if (matchStart > last) {
                    out.add(last, matchStart);
                }
                out.add(matchStart, j);
                last = j;
                i = j;
            }
            if (last < end) {
                out.add(last, end);
            }
        };
    }
}
