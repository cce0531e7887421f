package dev.petrel.tokenizer.core;

import java.text.Normalizer;
import java.util.List;
import java.util.Locale;

/** Rewrites a text fragment before pre-tokenization (Unicode normalization and the like). */
@FunctionalInterface
public interface TextNormalizer {

    TextNormalizer NONE = text -> text;

    String normalize(String text);

    static TextNormalizer unicode(Normalizer.Form form) {
        return text -> Normalizer.isNormalized(text, form) ? text : Normalizer.normalize(text, form);
    }

    static TextNormalizer lowercase() {
        return text -> text.toLowerCase(Locale.ROOT);
    }

    static TextNormalizer replace(String target, String replacement) {
        return text -> text.replace(target, replacement);
    }

    static TextNormalizer prepend(String prefix) {
        return text -> text.isEmpty() ? text : prefix + text;
    }

    static TextNormalizer sequence(List<TextNormalizer> steps) {
        List<TextNormalizer> copy = List.copyOf(steps);
        return text -> {
            String result = text;
            for (TextNormalizer step : copy) {
                result = step.normalize(result);
            }
            return result;
        };
    }
}
