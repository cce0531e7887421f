package dev.petrel.chat.internal;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.objects.date.DateTimeProvider;
import dev.petrel.api.ModelFormatException;
import dev.petrel.api.engine.ChatMessage;
import dev.petrel.api.engine.ChatTemplate;
import dev.petrel.api.tokenizer.Tokenizer;
import java.io.IOException;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import jinjava.javax.el.CompositeELResolver;
import org.osgi.service.component.annotations.Component;

/**
 * Renders chat templates with Jinjava, set up as Hugging Face sets up Jinja for them:
 * {@code trim_blocks} and {@code lstrip_blocks}, loop controls, {@code namespace()},
 * {@code raise_exception}, {@code strftime_now}, {@code tojson} with Python's spacing, and the
 * Python string, list and dict methods templates call ({@link PythonMethods}), with the few
 * syntax differences smoothed over by {@link TemplateRewriter}. Jinjava's "natural operator
 * precedence" stays off: with it, {@code not x is defined} would mean {@code (not x) is
 * defined}, which every DeepSeek template trips over. Templates come
 * from model files, so they cannot include other files, and output size is bounded.
 */
@Component(service = ChatTemplate.class)
public final class JinjaChatTemplate implements ChatTemplate {

    /** Where a GGUF model keeps its template (tokenizer_config.json calls it chat_template). */
    public static final String TEMPLATE_KEY = "tokenizer.chat_template";

    private static final String SOURCE = "chat template";
    private static final long MAX_OUTPUT_CHARS = 64L << 20;

    private final Jinjava jinjava;
    private volatile Rewritten lastTemplate;

    private record Rewritten(String template, String rewritten) {
    }

    public JinjaChatTemplate() {
        this(System::currentTimeMillis, ZoneId.systemDefault());
    }

    /** With a given clock and time zone for {@code strftime_now}. */
    public JinjaChatTemplate(DateTimeProvider clock, ZoneId zone) {
        this.jinjava = withOwnClassLoader(() -> {
            CompositeELResolver resolver = new CompositeELResolver();
            resolver.add(new PythonMethods());
            resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
            JinjavaConfig config = JinjavaConfig.newBuilder()
                    .withTrimBlocks(true)
                    .withLstripBlocks(true)
                    // Jinja drops one new line at the end of the template source, which
                    // rewritten() does; Jinjava's option would trim the output instead.
                    .withKeepTrailingNewline(true)
                    .withElResolver(resolver)
                    .withDateTimeProvider(clock)
                    .withTimeZone(zone)
                    .withMaxOutputSize(MAX_OUTPUT_CHARS)
                    .withLegacyOverrides(LegacyOverrides.newBuilder()
                            .withParseWhitespaceControlStrictly(true)
                            .withUseTrimmingForNotesAndExpressions(true)
                            .withKeepNullableLoopValues(true)
                            .withHandleBackslashInQuotesOnly(true)
                            .withUsePyishObjectMapper(true)
                            .build())
                    .build();
            Jinjava engine = new Jinjava(config);
            engine.setResourceLocator((name, encoding, interpreter) -> {
                throw new IOException("a chat template cannot read other files (" + name + ")");
            });
            TemplateFunctions.functions().forEach(engine.getGlobalContext()::registerFunction);
            engine.getGlobalContext().registerFilter(new TemplateFunctions.ToJson());
            return engine;
        });
    }

    @Override
    public String render(Tokenizer tokenizer, List<ChatMessage> messages, boolean addGenerationPrompt) {
        Objects.requireNonNull(tokenizer, "tokenizer");
        String template = tokenizer.chatTemplate().orElseThrow(() -> new ModelFormatException(
                SOURCE, TEMPLATE_KEY, "the model has no chat template; use raw completion instead"));
        Map<String, Object> variables = new HashMap<>();
        variables.put("bos_token", tokenText(tokenizer, tokenizer.bosId()));
        variables.put("eos_token", tokenText(tokenizer, tokenizer.eosId()));
        return render(template, messages, addGenerationPrompt, variables);
    }

    @Override
    public String render(String template, List<ChatMessage> messages, boolean addGenerationPrompt,
            Map<String, ?> variables) {
        Objects.requireNonNull(template, "template");
        Objects.requireNonNull(messages, "messages");
        Map<String, Object> bindings = new HashMap<>();
        if (variables != null) {
            bindings.putAll(variables);
        }
        bindings.put("messages", toMaps(messages));
        bindings.put("add_generation_prompt", addGenerationPrompt);
        String source = rewritten(template);
        RenderResult result;
        try {
            result = withOwnClassLoader(() -> jinjava.renderForResult(source, bindings));
        } catch (RuntimeException e) {
            throw failure(e.getMessage() == null ? e.toString() : e.getMessage(), e);
        }
        for (TemplateError error : result.getErrors()) {
            if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
                TemplateFunctions.TemplateRaisedException raised = raised(error.getException());
                if (raised != null) {
                    throw failure("the template refused the conversation: " + raised.getMessage(), raised);
                }
                String where = error.getLineno() > 0 ? " (line " + error.getLineno() + ")" : "";
                throw failure(error.getMessage() + where, error.getException());
            }
        }
        return result.getOutput();
    }

    private String rewritten(String template) {
        Rewritten last = lastTemplate;
        if (last != null && last.template().equals(template)) {
            return last.rewritten();
        }
        String rewritten = TemplateRewriter.rewrite(withoutTrailingNewline(template));
        lastTemplate = new Rewritten(template, rewritten);
        return rewritten;
    }

    /** Jinja's {@code keep_trailing_newline=False}: one new line at the end of the source goes. */
    static String withoutTrailingNewline(String template) {
        if (template.endsWith("\r\n")) {
            return template.substring(0, template.length() - 2);
        }
        if (template.endsWith("\n") || template.endsWith("\r")) {
            return template.substring(0, template.length() - 1);
        }
        return template;
    }

    private static List<Map<String, Object>> toMaps(List<ChatMessage> messages) {
        List<Map<String, Object>> out = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("role", m.role());
            map.put("content", m.content());
            out.add(map);
        }
        return out;
    }

    private static String tokenText(Tokenizer tokenizer, int id) {
        return id < 0 ? "" : tokenizer.tokenText(id);
    }

    private static TemplateFunctions.TemplateRaisedException raised(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof TemplateFunctions.TemplateRaisedException r) {
                return r;
            }
        }
        return null;
    }

    private static ModelFormatException failure(String problem, Throwable cause) {
        return new ModelFormatException(SOURCE, TEMPLATE_KEY, "does not render: " + problem, cause);
    }

    /**
     * Runs with this bundle's class loader as the thread's context loader: the embedded
     * libraries look up their own classes and services through it.
     */
    private static <T> T withOwnClassLoader(Supplier<T> work) {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(JinjaChatTemplate.class.getClassLoader());
        try {
            return work.get();
        } finally {
            thread.setContextClassLoader(previous);
        }
    }
}
