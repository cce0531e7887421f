package dev.petrel.tokenizer.pretokenize;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.petrel.tokenizer.RandomText;
import dev.petrel.tokenizer.core.IntList;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The bit-set split cuts exactly where the regex {@code \s?[SET]+} would. */
class LetterRunSplitTest {

    private static final int[] RANGES = {'A', 'Z', 'a', 'z', 0xC0, 0x24F, 0x391, 0x3C9, 0x10400, 0x1044F};

    private static String regexClass() {
        StringBuilder out = new StringBuilder("\\s?[");
        for (int i = 0; i < RANGES.length; i += 2) {
            out.append(String.format("\\x{%X}-\\x{%X}", RANGES[i], RANGES[i + 1]));
        }
        return out.append("]+").toString();
    }

    @Test
    void cut_matchesTheEquivalentRegex() {
        SplitStep fast = new LetterRunSplit(RANGES);
        SplitStep regex = RegexSplit.isolating(RegexDialect.compileJava(regexClass()));
        RandomText random = new RandomText(11);
        for (int i = 0; i < 2_000; i++) {
            String text = random.next(25) + " 𐐀𐐁 ab";
            IntList expected = new IntList();
            IntList actual = new IntList();
            regex.over(text).cut(0, text.length(), expected);
            fast.over(text).cut(0, text.length(), actual);
            assertEquals(Arrays.toString(expected.toArray()), Arrays.toString(actual.toArray()), text);
        }
    }
}
