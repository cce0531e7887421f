package dev.petrel.tokenizer;

import java.text.Normalizer;
import java.util.Random;

/**
 * Random valid Unicode text for property tests and benchmarks: words in several scripts,
 * emoji (with ZWJ sequences, skin tones and flags), CJK, combining marks, digits,
 * punctuation and runs of assorted whitespace.
 */
public final class RandomText {

    private static final String[] WORDS = {
        "the", "Hello", "world", "tokenizer", "don't", "I'm", "we'LL", "it's", "naïve", "Führer", "café",
        "нещо", "Български", "Ελληνικά", "שָׁלוֹם", "مرحبا", "नमस्ते", "ภาษาไทย", "កាន់តែ", "한국어", "日本語",
        "我想在apple工作", "ひらがな", "カタカナ", "ǅemal", "ﬁne", "x²", "½", "Ω", "µs", "Ⅻ"
    };
    private static final String[] EMOJI = {
        "🦙", "🚀", "😶‍🌫️", "✅", "👍🏽", "👩‍👩‍👧", "🇫🇷", "❤️", "🤖", "⚡"
    };
    private static final String[] SPACES = {" ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", " \n ", "\u00A0", "\u3000", "\t\t "};
    private static final String PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~…—“”‘’«»、。，！？";
    private static final int[] COMBINING = {0x0301, 0x0308, 0x0323, 0x0331, 0x20DD, 0x0E49, 0x094D};

    private final Random random;

    public RandomText(long seed) {
        this.random = new Random(seed);
    }

    /** A text of about {@code pieces} pieces. */
    public String next(int pieces) {
        StringBuilder out = new StringBuilder();
        int count = 1 + random.nextInt(pieces);
        for (int i = 0; i < count; i++) {
            switch (random.nextInt(9)) {
                case 0, 1 -> out.append(WORDS[random.nextInt(WORDS.length)]);
                case 2 -> out.append(SPACES[random.nextInt(SPACES.length)]);
                case 3 -> out.append(EMOJI[random.nextInt(EMOJI.length)]);
                case 4 -> out.append(random.nextInt(100_000));
                case 5 -> out.append(PUNCTUATION.charAt(random.nextInt(PUNCTUATION.length())));
                case 6 -> out.append((char) ('a' + random.nextInt(26))).appendCodePoint(COMBINING[random.nextInt(COMBINING.length)]);
                case 7 -> out.appendCodePoint(randomCodePoint());
                default -> out.append(' ').append(WORDS[random.nextInt(WORDS.length)]);
            }
        }
        return out.toString();
    }

    /**
     * Prose-like text: words of several scripts separated by spaces, with some punctuation,
     * numbers, emoji and line breaks, for throughput measurements.
     */
    public String paragraph(int words) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < words; i++) {
            int pick = random.nextInt(20);
            if (pick == 0) {
                out.append(random.nextInt(10_000));
            } else if (pick == 1) {
                out.append(EMOJI[random.nextInt(EMOJI.length)]);
            } else {
                out.append(WORDS[random.nextInt(WORDS.length)]);
            }
            int after = random.nextInt(12);
            out.append(after == 0 ? ", " : after == 1 ? ". " : after == 2 ? ".\n" : " ");
        }
        return out.toString();
    }

    /** {@link #next} in normalization form C, for tokenizers that normalize their input. */
    public String nextNfc(int pieces) {
        return Normalizer.normalize(next(pieces), Normalizer.Form.NFC);
    }

    /** Any assigned code point outside the surrogates, private use and SentencePiece's ▁. */
    private int randomCodePoint() {
        while (true) {
            int cp = random.nextInt(4) == 0 ? random.nextInt(0x30000) : random.nextInt(0x3000);
            int type = Character.getType(cp);
            if (type != Character.UNASSIGNED && type != Character.SURROGATE && type != Character.PRIVATE_USE
                    && cp != 0x2581) {
                return cp;
            }
        }
    }
}
