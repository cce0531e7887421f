package dev.petrel.chat.internal;

import java.beans.FeatureDescriptor;
import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * The Python methods that chat templates call on strings, lists and dicts
 * ({@code content.startswith('<tool_response>')}, {@code content.split('</think>')[-1]},
 * {@code text.strip('\n')}, {@code tool.items()}), with Python's semantics. Jinja evaluates
 * these on Python objects; Jinjava would look for Java methods of the same name, which either
 * do not exist or mean something else ({@code String.split} takes a regular expression and
 * drops trailing empty parts). Placed before Jinjava's own resolvers; whatever it does not
 * know goes on to them.
 *
 * <p>Also answers {@code text[i]} (negative {@code i} included) on strings, and the
 * {@code petrelSlice} call that {@link TemplateRewriter} writes for {@code [start:stop:step]}.
 */
final class PythonMethods extends ELResolver {

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes,
            Object[] params) {
        if (base == null || method == null) {
            return null;
        }
        String name = method.toString();
        Object[] args = params == null ? new Object[0] : params;
        Object result;
        if (name.equals(TemplateRewriter.METHOD)) {
            result = slice(base, args);
        } else if (base instanceof CharSequence text) {
            result = stringMethod(text.toString(), name, args);
        } else if (base instanceof Map<?, ?> map) {
            result = mapMethod(map, name, args);
        } else {
            return null;
        }
        if (result == NOT_HANDLED) {
            return null;
        }
        context.setPropertyResolved(true);
        return result;
    }

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        // Jinjava hands the index over as text ("-1"); strings have no other properties.
        Integer index = base instanceof CharSequence ? integer(property) : null;
        if (index != null) {
            String s = base.toString();
            int i = index;
            int at = i < 0 ? s.length() + i : i;
            context.setPropertyResolved(true);
            if (at < 0 || at >= s.length()) {
                throw new IllegalArgumentException("string index out of range: " + i);
            }
            return s.substring(at, at + 1);
        }
        return null;
    }

    private static Integer integer(Object property) {
        if (property instanceof Number n) {
            return n.intValue();
        }
        if (property instanceof CharSequence c && c.toString().matches("-?[0-9]{1,9}")) {
            return Integer.parseInt(c.toString());
        }
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {
        // read only: templates never write through this resolver
    }

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return true;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }

    private static final Object NOT_HANDLED = new Object();

    private static Object stringMethod(String s, String name, Object[] args) {
        return switch (name) {
            case "startswith" -> matchesAffix(s, arg(args, 0), true);
            case "endswith" -> matchesAffix(s, arg(args, 0), false);
            case "strip" -> strip(s, chars(args), true, true);
            case "lstrip" -> strip(s, chars(args), true, false);
            case "rstrip" -> strip(s, chars(args), false, true);
            case "split" -> split(s, str(arg(args, 0)), maxSplit(args));
            case "rsplit" -> rsplit(s, str(arg(args, 0)), maxSplit(args));
            case "splitlines" -> List.copyOf(s.lines().toList());
            case "upper" -> s.toUpperCase(java.util.Locale.ROOT);
            case "lower" -> s.toLowerCase(java.util.Locale.ROOT);
            case "title" -> title(s);
            case "capitalize" -> s.isEmpty() ? s
                    : s.substring(0, 1).toUpperCase(java.util.Locale.ROOT)
                            + s.substring(1).toLowerCase(java.util.Locale.ROOT);
            case "replace" -> replace(s, str(arg(args, 0)), str(arg(args, 1)),
                    args.length > 2 ? toInt(args[2]) : -1);
            case "find" -> (long) s.indexOf(str(arg(args, 0)));
            case "rfind" -> (long) s.lastIndexOf(str(arg(args, 0)));
            case "count" -> (long) count(s, str(arg(args, 0)));
            case "join" -> join(s, arg(args, 0));
            case "removeprefix" -> s.startsWith(str(arg(args, 0)))
                    ? s.substring(str(arg(args, 0)).length()) : s;
            case "removesuffix" -> s.endsWith(str(arg(args, 0)))
                    ? s.substring(0, s.length() - str(arg(args, 0)).length()) : s;
            case "isdigit" -> !s.isEmpty() && s.chars().allMatch(Character::isDigit);
            case "isalpha" -> !s.isEmpty() && s.chars().allMatch(Character::isLetter);
            case "isalnum" -> !s.isEmpty() && s.chars().allMatch(Character::isLetterOrDigit);
            case "isspace" -> !s.isEmpty() && s.chars().allMatch(PythonMethods::isSpace);
            case "isupper" -> s.chars().anyMatch(Character::isLetter)
                    && s.equals(s.toUpperCase(java.util.Locale.ROOT));
            case "islower" -> s.chars().anyMatch(Character::isLetter)
                    && s.equals(s.toLowerCase(java.util.Locale.ROOT));
            default -> NOT_HANDLED;
        };
    }

    private static Object mapMethod(Map<?, ?> map, String name, Object[] args) {
        return switch (name) {
            case "items" -> {
                List<List<Object>> items = new ArrayList<>(map.size());
                map.forEach((k, v) -> {
                    List<Object> pair = new ArrayList<>(2);
                    pair.add(k);
                    pair.add(v);
                    items.add(pair);
                });
                yield items;
            }
            case "keys" -> new ArrayList<Object>(map.keySet());
            case "values" -> new ArrayList<Object>(map.values());
            case "get" -> map.containsKey(arg(args, 0)) ? map.get(arg(args, 0))
                    : (args.length > 1 ? args[1] : null);
            default -> NOT_HANDLED;
        };
    }

    /** Python's {@code seq[start:stop:step]} on a string, list or array. */
    static Object slice(Object base, Object[] args) {
        Object start = arg(args, 0);
        Object stop = arg(args, 1);
        Object step = arg(args, 2);
        if (base instanceof CharSequence text) {
            String s = text.toString();
            int[] idx = indices(s.length(), start, stop, step);
            StringBuilder out = new StringBuilder();
            for (int i = idx[0]; idx[2] > 0 ? i < idx[1] : i > idx[1]; i += idx[2]) {
                out.append(s.charAt(i));
            }
            return out.toString();
        }
        List<Object> items = toList(base);
        int[] idx = indices(items.size(), start, stop, step);
        List<Object> out = new ArrayList<>();
        for (int i = idx[0]; idx[2] > 0 ? i < idx[1] : i > idx[1]; i += idx[2]) {
            out.add(items.get(i));
        }
        return out;
    }

    /** Python's {@code slice.indices(length)}: start, stop, step. */
    private static int[] indices(int length, Object start, Object stop, Object step) {
        int st = step == null ? 1 : toInt(step);
        if (st == 0) {
            throw new IllegalArgumentException("slice step cannot be zero");
        }
        int lower = st > 0 ? 0 : -1;
        int upper = st > 0 ? length : length - 1;
        int b = start == null ? (st > 0 ? lower : upper) : clamp(toInt(start), length, lower, upper);
        int e = stop == null ? (st > 0 ? upper : lower) : clamp(toInt(stop), length, lower, upper);
        return new int[] {b, e, st};
    }

    private static int clamp(int i, int length, int lower, int upper) {
        if (i < 0) {
            i += length;
            return Math.max(i, lower);
        }
        return Math.min(i, upper);
    }

    private static List<Object> toList(Object base) {
        if (base instanceof List<?> list) {
            return new ArrayList<>(list);
        }
        if (base instanceof Collection<?> c) {
            return new ArrayList<>(c);
        }
        if (base != null && base.getClass().isArray()) {
            int n = Array.getLength(base);
            List<Object> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                out.add(Array.get(base, i));
            }
            return out;
        }
        if (base instanceof Iterable<?> it) {
            List<Object> out = new ArrayList<>();
            it.forEach(out::add);
            return out;
        }
        throw new IllegalArgumentException("cannot slice " + base.getClass().getSimpleName());
    }

    private static boolean matchesAffix(String s, Object affix, boolean prefix) {
        if (affix instanceof CharSequence a) {
            return prefix ? s.startsWith(a.toString()) : s.endsWith(a.toString());
        }
        if (affix instanceof Iterable<?> options) {
            for (Object o : options) {
                if (o != null && (prefix ? s.startsWith(o.toString()) : s.endsWith(o.toString()))) {
                    return true;
                }
            }
            return false;
        }
        throw new IllegalArgumentException(
                (prefix ? "startswith" : "endswith") + " first arg must be str or a tuple of str");
    }

    /** Characters to strip, or null for Python's whitespace. */
    private static String chars(Object[] args) {
        Object a = arg(args, 0);
        return a == null ? null : a.toString();
    }

    static String strip(String s, String chars, boolean left, boolean right) {
        int b = 0;
        int e = s.length();
        if (left) {
            while (b < e && stripped(s.charAt(b), chars)) {
                b++;
            }
        }
        if (right) {
            while (e > b && stripped(s.charAt(e - 1), chars)) {
                e--;
            }
        }
        return s.substring(b, e);
    }

    private static boolean stripped(char c, String chars) {
        return chars == null ? isSpace(c) : chars.indexOf(c) >= 0;
    }

    /** Python's {@code str.isspace} for one character. */
    private static boolean isSpace(int c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0x0b || c == 0x0c
                || c == 0x1c || c == 0x1d || c == 0x1e || c == 0x1f || c == 0x85
                || Character.isSpaceChar(c);
    }

    private static int maxSplit(Object[] args) {
        return args.length > 1 && args[1] != null ? toInt(args[1]) : -1;
    }

    static List<String> split(String s, String sep, int maxSplit) {
        List<String> out = new ArrayList<>();
        if (sep == null) {
            int i = 0;
            int n = s.length();
            while (true) {
                while (i < n && isSpace(s.charAt(i))) {
                    i++;
                }
                if (i >= n) {
                    return out;
                }
                if (maxSplit >= 0 && out.size() == maxSplit) {
                    out.add(strip(s.substring(i), null, false, true));
                    return out;
                }
                int j = i;
                while (j < n && !isSpace(s.charAt(j))) {
                    j++;
                }
                out.add(s.substring(i, j));
                i = j;
            }
        }
        if (sep.isEmpty()) {
            throw new IllegalArgumentException("empty separator");
        }
        int from = 0;
        while (maxSplit < 0 || out.size() < maxSplit) {
            int at = s.indexOf(sep, from);
            if (at < 0) {
                break;
            }
            out.add(s.substring(from, at));
            from = at + sep.length();
        }
        out.add(s.substring(from));
        return out;
    }

    static List<String> rsplit(String s, String sep, int maxSplit) {
        if (maxSplit < 0) {
            return split(s, sep, -1);
        }
        if (sep == null) {
            List<String> out = new ArrayList<>();
            int e = s.length();
            while (true) {
                while (e > 0 && isSpace(s.charAt(e - 1))) {
                    e--;
                }
                if (e == 0) {
                    break;
                }
                if (out.size() == maxSplit) {
                    out.add(0, strip(s.substring(0, e), null, true, false));
                    break;
                }
                int b = e;
                while (b > 0 && !isSpace(s.charAt(b - 1))) {
                    b--;
                }
                out.add(0, s.substring(b, e));
                e = b;
            }
            return out;
        }
        if (sep.isEmpty()) {
            throw new IllegalArgumentException("empty separator");
        }
        List<String> out = new ArrayList<>();
        int end = s.length();
        while (out.size() < maxSplit) {
            int at = s.lastIndexOf(sep, end - sep.length());
            if (at < 0) {
                break;
            }
            out.add(0, s.substring(at + sep.length(), end));
            end = at;
        }
        out.add(0, s.substring(0, end));
        return out;
    }

    private static String replace(String s, String old, String replacement, int count) {
        if (count < 0) {
            return s.replace(old, replacement);
        }
        StringBuilder out = new StringBuilder();
        int from = 0;
        for (int done = 0; done < count; done++) {
            int at = old.isEmpty() ? (from <= s.length() ? from : -1) : s.indexOf(old, from);
            if (at < 0) {
                break;
            }
            out.append(s, from, at).append(replacement);
            if (old.isEmpty()) {
                if (at < s.length()) {
                    out.append(s.charAt(at));
                }
                from = at + 1;
            } else {
                from = at + old.length();
            }
        }
        if (from <= s.length()) {
            out.append(s, from, s.length());
        }
        return out.toString();
    }

    private static int count(String s, String sub) {
        if (sub.isEmpty()) {
            return s.length() + 1;
        }
        int n = 0;
        for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) {
            n++;
        }
        return n;
    }

    private static String title(String s) {
        StringBuilder out = new StringBuilder(s.length());
        boolean previousCased = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            out.append(previousCased ? Character.toLowerCase(c) : Character.toUpperCase(c));
            previousCased = Character.isLetter(c);
        }
        return out.toString();
    }

    private static String join(String sep, Object items) {
        StringBuilder out = new StringBuilder();
        boolean first = true;
        for (Object o : toList(items)) {
            if (!first) {
                out.append(sep);
            }
            out.append(o);
            first = false;
        }
        return out.toString();
    }

    private static Object arg(Object[] args, int i) {
        return i < args.length ? args[i] : null;
    }

    private static String str(Object o) {
        return o == null ? null : o.toString();
    }

    private static int toInt(Object o) {
        if (o instanceof Number n) {
            return n.intValue();
        }
        return Integer.parseInt(o.toString().strip());
    }
}
