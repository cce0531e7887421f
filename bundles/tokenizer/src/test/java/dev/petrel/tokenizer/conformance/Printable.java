package dev.petrel.tokenizer.conformance;

/** Test texts shown on one line with their control characters escaped. */
final class Printable {

    private Printable() {}

    static String of(String text) {
        StringBuilder out = new StringBuilder("\"");
        text.codePoints().limit(60).forEach(cp -> {
            switch (cp) {
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> out.appendCodePoint(cp);
            }
        });
        return out.append(text.codePointCount(0, text.length()) > 60 ? "…\"" : "\"").toString();
    }
}
