package dev.petrel.chat.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Adapts two spots where Jinjava's expression parser differs from Jinja's before a template
 * is rendered; the template means the same afterwards.
 *
 * <ul>
 * <li>Python slices ({@code messages[::-1]}, {@code text[1:-1]}) become a method call that
 * {@link PythonMethods} answers with Python's semantics
 * ({@code messages.petrelSlice(none, none, -1)}). Jinjava parses {@code [a:b]} but not a
 * step, and Hugging Face templates walk their messages backwards with {@code [::-1]}. A
 * bracket holding a colon at its own level is always a slice: neither a list literal nor a
 * subscript can hold one otherwise.
 * <li>Keyword arguments get parentheses around their value
 * ({@code namespace(last=messages|length - 1)} becomes
 * {@code namespace(last=(messages|length - 1))}): Jinjava binds {@code name=value} tighter
 * than a filter, Jinja the other way round.
 * </ul>
 *
 * <p>Only the inside of {@code {{ }}} and {@code {% %}} is touched, never text, comments,
 * {@code raw} blocks or string literals; {@code macro} and {@code call} tags keep their
 * parameter lists.
 */
final class TemplateRewriter {

    static final String METHOD = "petrelSlice";

    private TemplateRewriter() {
    }

    static String rewrite(String template) {
        StringBuilder out = new StringBuilder(template.length() + 16);
        int i = 0;
        int n = template.length();
        while (i < n) {
            int open = template.indexOf('{', i);
            if (open < 0 || open + 1 >= n) {
                out.append(template, i, n);
                break;
            }
            char kind = template.charAt(open + 1);
            if (kind != '{' && kind != '%' && kind != '#') {
                out.append(template, i, open + 1);
                i = open + 1;
                continue;
            }
            out.append(template, i, open);
            if (kind == '#') {
                int end = template.indexOf("#}", open + 2);
                int stop = end < 0 ? n : end + 2;
                out.append(template, open, stop);
                i = stop;
                continue;
            }
            String close = kind == '{' ? "}}" : "%}";
            int end = findClose(template, open + 2, close);
            int stop = end < 0 ? n : end;
            String inner = template.substring(open + 2, stop);
            boolean declaration = kind == '%' && declaresParameters(inner);
            out.append(template, open, open + 2).append(rewriteExpression(inner, !declaration));
            if (end < 0) {
                break;
            }
            out.append(close);
            i = end + 2;
            if (kind == '%' && isRawTag(inner)) {
                int endRaw = findEndRaw(template, i);
                int rawStop = endRaw < 0 ? n : endRaw;
                out.append(template, i, rawStop);
                i = rawStop;
            }
        }
        return out.toString();
    }

    /** Index of the closing delimiter, skipping string literals; -1 when missing. */
    private static int findClose(String s, int from, String close) {
        char quote = 0;
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == '\\') {
                    i++;
                } else if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (s.startsWith(close, i)) {
                return i;
            }
        }
        return -1;
    }

    private static boolean declaresParameters(String inner) {
        String tag = inner.strip();
        if (tag.startsWith("-")) {
            tag = tag.substring(1).strip();
        }
        return tag.startsWith("macro ") || tag.startsWith("call ") || tag.startsWith("call(");
    }

    private static boolean isRawTag(String inner) {
        String tag = inner.strip();
        if (tag.startsWith("-")) {
            tag = tag.substring(1).strip();
        }
        if (tag.endsWith("-")) {
            tag = tag.substring(0, tag.length() - 1).strip();
        }
        return tag.equals("raw");
    }

    /** Start of the {@code {% endraw %}} tag after a raw block, or -1. */
    private static int findEndRaw(String s, int from) {
        int i = from;
        while (true) {
            int open = s.indexOf("{%", i);
            if (open < 0) {
                return -1;
            }
            int close = s.indexOf("%}", open + 2);
            if (close < 0) {
                return -1;
            }
            String tag = s.substring(open + 2, close).replace("-", "").strip();
            if (tag.equals("endraw")) {
                return open;
            }
            i = open + 2;
        }
    }

    /** Rewrites one expression (the text between the delimiters). */
    static String rewriteExpression(String expr) {
        return rewriteExpression(expr, true);
    }

    private static String rewriteExpression(String expr, boolean keywordArguments) {
        if (expr.indexOf('[') < 0 && expr.indexOf('(') < 0) {
            return expr;
        }
        StringBuilder out = new StringBuilder(expr.length() + 16);
        char quote = 0;
        for (int i = 0; i < expr.length(); i++) {
            char c = expr.charAt(i);
            if (quote != 0) {
                out.append(c);
                if (c == '\\' && i + 1 < expr.length()) {
                    out.append(expr.charAt(++i));
                } else if (c == quote) {
                    quote = 0;
                }
                continue;
            }
            if (c == '\'' || c == '"') {
                quote = c;
                out.append(c);
                continue;
            }
            if (c == '[') {
                int close = matching(expr, i, ']');
                if (close > 0) {
                    List<String> parts = splitTopLevel(expr.substring(i + 1, close), ':');
                    if (parts.size() == 2 || parts.size() == 3) {
                        out.append('.').append(METHOD).append('(');
                        for (int p = 0; p < 3; p++) {
                            if (p > 0) {
                                out.append(", ");
                            }
                            String part = p < parts.size() ? parts.get(p).strip() : "";
                            out.append(part.isEmpty() ? "none" : rewriteExpression(part, keywordArguments));
                        }
                        out.append(')');
                        i = close;
                        continue;
                    }
                }
            }
            if (c == '(' && keywordArguments) {
                int close = matching(expr, i, ')');
                if (close > 0) {
                    List<String> args = splitTopLevel(expr.substring(i + 1, close), ',');
                    out.append('(');
                    for (int a = 0; a < args.size(); a++) {
                        if (a > 0) {
                            out.append(',');
                        }
                        out.append(keywordArgument(args.get(a)));
                    }
                    out.append(')');
                    i = close;
                    continue;
                }
            }
            out.append(c);
        }
        return out.toString();
    }

    private static final Pattern KEYWORD =
            Pattern.compile("(\\s*[A-Za-z_][A-Za-z0-9_]*\\s*=)(?!=)(.*)", Pattern.DOTALL);

    /** {@code name=value} becomes {@code name=(value)}; anything else is only rewritten inside. */
    private static String keywordArgument(String arg) {
        Matcher m = KEYWORD.matcher(arg);
        if (m.matches() && !m.group(2).isBlank()) {
            return m.group(1) + "(" + rewriteExpression(m.group(2), true) + ")";
        }
        return rewriteExpression(arg, true);
    }

    /** Index of the bracket that closes the one at {@code open}; -1 if it is not {@code closer}. */
    private static int matching(String s, int open, char closer) {
        int depth = 0;
        char quote = 0;
        for (int i = open; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == '\\') {
                    i++;
                } else if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == '[' || c == '(' || c == '{') {
                depth++;
            } else if (c == ']' || c == ')' || c == '}') {
                depth--;
                if (depth == 0) {
                    return c == closer ? i : -1;
                }
            }
        }
        return -1;
    }

    private static List<String> splitTopLevel(String body, char separator) {
        List<String> parts = new ArrayList<>(3);
        int depth = 0;
        char quote = 0;
        int start = 0;
        for (int i = 0; i < body.length(); i++) {
            char c = body.charAt(i);
            if (quote != 0) {
                if (c == '\\') {
                    i++;
                } else if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == '[' || c == '(' || c == '{') {
                depth++;
            } else if (c == ']' || c == ')' || c == '}') {
                depth--;
            } else if (c == separator && depth == 0) {
                parts.add(body.substring(start, i));
                start = i + 1;
            }
        }
        parts.add(body.substring(start));
        return parts;
    }
}
