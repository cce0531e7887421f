package dev.petrel.tokenizer.pretokenize;

import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Compiles the regexes of tokenizer files with java.util.regex so that they match what the
 * reference tokenizers (Oniguruma in Hugging Face tokenizers) match:
 * <ul>
 *   <li>{@code \s}, {@code \w}, {@code \d} are Unicode classes and {@code (?i:...)} folds
 *       Unicode case, hence UNICODE_CHARACTER_CLASS and UNICODE_CASE;</li>
 *   <li>script properties such as {@code \p{Han}} are {@code \p{IsHan}} in Java;</li>
 *   <li>Oniguruma's {@code \h} is a hex digit, not horizontal space;</li>
 *   <li>Oniguruma's {@code $} ends a line.</li>
 * </ul>
 * Backtracking, ordered alternation, lookahead and possessive quantifiers work alike.
 */
public final class RegexDialect {

    private static final int FLAGS = Pattern.UNICODE_CHARACTER_CLASS | Pattern.UNICODE_CASE;

    private RegexDialect() {}

    /** Compiles a pattern written for Java directly (the built-in pre-tokenizer lists). */
    public static Pattern compileJava(String regex) {
        return Pattern.compile(regex, FLAGS);
    }

    /**
     * Compiles a pattern from a tokenizer.json.
     *
     * @throws PatternSyntaxException if Java cannot express it
     */
    public static Pattern compileOniguruma(String regex) {
        return Pattern.compile(translate(regex), FLAGS);
    }

    static String translate(String regex) {
        StringBuilder out = new StringBuilder(regex.length() + 16);
        boolean inClass = false;
        for (int i = 0; i < regex.length(); i++) {
            char c = regex.charAt(i);
            if (c == '\\' && i + 1 < regex.length()) {
                char next = regex.charAt(i + 1);
                if ((next == 'p' || next == 'P') && i + 2 < regex.length() && regex.charAt(i + 2) == '{') {
                    int close = regex.indexOf('}', i + 3);
                    if (close > 0) {
                        out.append('\\').append(next).append('{')
                                .append(javaPropertyName(regex.substring(i + 3, close))).append('}');
                        i = close;
                        continue;
                    }
                }
                if (next == 'h') {
                    out.append(inClass ? "0-9a-fA-F" : "[0-9a-fA-F]");
                } else if (next == 'H') {
                    out.append(inClass ? "&&[^0-9a-fA-F]" : "[^0-9a-fA-F]");
                } else {
                    out.append(c).append(next);
                }
                i++;
                continue;
            }
            if (c == '[') {
                inClass = true;
            } else if (c == ']') {
                inClass = false;
            } else if (c == '$' && !inClass) {
                out.append("(?=\\n|\\z)");
                continue;
            }
            out.append(c);
        }
        return out.toString();
    }

    /** General categories keep their names; anything longer is taken as a script. */
    private static String javaPropertyName(String name) {
        String bare = name.startsWith("^") ? name.substring(1) : name;
        boolean category = bare.length() <= 2 || bare.startsWith("Is") || bare.startsWith("In") || bare.contains("=");
        return category ? name : (name.startsWith("^") ? "^Is" : "Is") + bare;
    }
}
