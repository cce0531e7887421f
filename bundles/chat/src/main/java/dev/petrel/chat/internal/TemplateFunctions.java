package dev.petrel.chat.internal;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.objects.date.StrftimeFormatter;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;

/**
 * The globals and filters that Hugging Face adds to the Jinja environment of chat templates:
 * {@code raise_exception(message)}, {@code strftime_now(format)} and the {@code tojson} filter
 * with Python's spacing.
 */
final class TemplateFunctions {

    private TemplateFunctions() {
    }

    /** Thrown by {@code raise_exception}: the template refuses the conversation. */
    static final class TemplateRaisedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        TemplateRaisedException(String message) {
            super(message);
        }
    }

    static List<ELFunctionDefinition> functions() {
        return List.of(
                new ELFunctionDefinition("", "raise_exception", TemplateFunctions.class,
                        "raiseException", Object.class),
                new ELFunctionDefinition("", "strftime_now", TemplateFunctions.class,
                        "strftimeNow", String.class));
    }

    /** {@code raise_exception(message)}: ends the rendering with the template's message. */
    public static Object raiseException(Object message) {
        throw new TemplateRaisedException(String.valueOf(message));
    }

    /**
     * {@code strftime_now(format)}: the current time (the engine's clock, in its time zone) in
     * a Python {@code strftime} format, for example {@code "%d %b %Y"}.
     */
    public static String strftimeNow(String format) {
        JinjavaInterpreter interpreter = JinjavaInterpreter.getCurrent();
        long millis = interpreter == null ? System.currentTimeMillis()
                : interpreter.getConfig().getDateTimeProvider().getCurrentTimeMillis();
        ZoneId zone = interpreter == null ? ZoneId.systemDefault() : interpreter.getConfig().getTimeZone();
        ZonedDateTime now = ZonedDateTime.ofInstant(Instant.ofEpochMilli(millis), zone);
        return StrftimeFormatter.format(now, format);
    }

    /** {@code value | tojson(indent=None, separators=None, sort_keys=False)}. */
    static final class ToJson implements Filter {

        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return filter(var, interpreter, (Object[]) args, Map.of());
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args,
                Map<String, Object> kwargs) {
            Object indent = kwargs.containsKey("indent") ? kwargs.get("indent")
                    : (args != null && args.length > 0 ? args[0] : null);
            String itemSeparator = null;
            String keySeparator = null;
            if (kwargs.get("separators") instanceof List<?> separators && separators.size() == 2) {
                itemSeparator = String.valueOf(separators.get(0));
                keySeparator = String.valueOf(separators.get(1));
            }
            boolean sortKeys = Boolean.TRUE.equals(kwargs.get("sort_keys"));
            Integer indentWidth = indent == null ? null
                    : (indent instanceof Number n ? n.intValue() : Integer.parseInt(indent.toString()));
            return new PythonJson(indentWidth, itemSeparator, keySeparator, sortKeys).write(var);
        }
    }
}
