package dev.petrel.chat.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.petrel.api.ModelFormatException;
import dev.petrel.api.engine.ChatMessage;
import dev.petrel.api.tokenizer.TokenKind;
import dev.petrel.api.tokenizer.Tokenizer;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Real chat templates (tokenizer_config.json of Llama 3, Qwen3 and DeepSeek-V3 from the shared
 * test data, and DeepSeek-R1-Distill's in templates/deepseek-r1-distill.jinja: the
 * {@code tokenizer.chat_template} those models ship, which drops the {@code <think>} part of
 * earlier answers and opens the next one with {@code <think>\n}) rendered for a system/user/assistant/user conversation
 * with add_generation_prompt, against the exact prompts those formats define.
 */
class JinjaChatTemplateTest {

    private static final JinjaChatTemplate TEMPLATES = new JinjaChatTemplate();

    private static final String SYSTEM = "You are a concise assistant.";
    private static final String QUESTION = "What is 2+2?";
    private static final String ANSWER = "2 + 2 = 4.";
    private static final String FOLLOW_UP = "And times three?";
    private static final String REASONED_ANSWER = "<think>\nAdd two and two.\n</think>\n\n" + ANSWER;

    private static List<ChatMessage> conversation(String assistantTurn) {
        return List.of(ChatMessage.system(SYSTEM), ChatMessage.user(QUESTION),
                ChatMessage.assistant(assistantTurn), ChatMessage.user(FOLLOW_UP));
    }

    private static String renderShared(String model, List<ChatMessage> messages) {
        String template = TestData.configString(model, "chat_template");
        Map<String, Object> tokens = Map.of(
                "bos_token", optionalConfig(model, "bos_token"),
                "eos_token", optionalConfig(model, "eos_token"));
        return TEMPLATES.render(template, messages, true, tokens);
    }

    private static String optionalConfig(String model, String field) {
        try {
            return TestData.configString(model, field);
        } catch (IllegalStateException e) {
            return "";
        }
    }

    @Test
    void llama3_rendersHeadersAndEotPerTurn() {
        String expected = "<|begin_of_text|>"
                + "<|start_header_id|>system<|end_header_id|>\n\n" + SYSTEM + "<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\n" + QUESTION + "<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n" + ANSWER + "<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\n" + FOLLOW_UP + "<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n";
        assertEquals(expected, renderShared("llama3", conversation(ANSWER)));
    }

    @Test
    void llama3_trimsMessageContent() {
        String rendered = renderShared("llama3", List.of(ChatMessage.user("  padded \n")));
        assertEquals("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\npadded<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n", rendered);
    }

    @Test
    void qwen3_rendersImStartTurnsAndDropsEarlierReasoning() {
        String expected = "<|im_start|>system\n" + SYSTEM + "<|im_end|>\n"
                + "<|im_start|>user\n" + QUESTION + "<|im_end|>\n"
                + "<|im_start|>assistant\n" + ANSWER + "<|im_end|>\n"
                + "<|im_start|>user\n" + FOLLOW_UP + "<|im_end|>\n"
                + "<|im_start|>assistant\n";
        assertEquals(expected, renderShared("qwen3", conversation(REASONED_ANSWER)));
        assertEquals(expected, renderShared("qwen3", conversation(ANSWER)));
    }

    @Test
    void qwen3_keepsReasoningOfTheTurnAfterTheLastQuery() {
        List<ChatMessage> messages = List.of(ChatMessage.user(QUESTION),
                ChatMessage.assistant(REASONED_ANSWER));
        String rendered = TEMPLATES.render(TestData.configString("qwen3", "chat_template"),
                messages, false, Map.of());
        assertEquals("<|im_start|>user\n" + QUESTION + "<|im_end|>\n"
                + "<|im_start|>assistant\n<think>\nAdd two and two.\n</think>\n\n" + ANSWER
                + "<|im_end|>\n", rendered);
    }

    @Test
    void qwen3_thinkingDisabledAddsEmptyThinkBlock() {
        String rendered = TEMPLATES.render(TestData.configString("qwen3", "chat_template"),
                List.of(ChatMessage.user("Hi")), true, Map.of("enable_thinking", false));
        assertEquals("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n",
                rendered);
    }

    @Test
    void qwen3_rendersToolsWithPythonJsonSpacing() {
        Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put("type", "object");
        parameters.put("properties", new LinkedHashMap<>());
        Map<String, Object> function = new LinkedHashMap<>();
        function.put("name", "get_time");
        function.put("description", "Current time");
        function.put("parameters", parameters);
        Map<String, Object> tool = new LinkedHashMap<>();
        tool.put("type", "function");
        tool.put("function", function);
        String rendered = TEMPLATES.render(TestData.configString("qwen3", "chat_template"),
                List.of(ChatMessage.system("You are helpful."), ChatMessage.user("Time?")), true,
                Map.of("tools", List.of(tool)));
        String expected = "<|im_start|>system\nYou are helpful.\n\n# Tools\n\n"
                + "You may call one or more functions to assist with the user query.\n\n"
                + "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n"
                + "{\"type\": \"function\", \"function\": {\"name\": \"get_time\", "
                + "\"description\": \"Current time\", \"parameters\": {\"type\": \"object\", \"properties\": {}}}}\n"
                + "</tools>\n\nFor each function call, return a json object with function name and arguments "
                + "within <tool_call></tool_call> XML tags:\n<tool_call>\n"
                + "{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n"
                + "<|im_start|>user\nTime?<|im_end|>\n<|im_start|>assistant\n";
        assertEquals(expected, rendered);
    }

    @Test
    void deepseekV3_rendersUserAndAssistantMarkers() {
        String expected = "<｜begin▁of▁sentence｜>" + SYSTEM
                + "<｜User｜>" + QUESTION
                + "<｜Assistant｜>" + ANSWER + "<｜end▁of▁sentence｜>"
                + "<｜User｜>" + FOLLOW_UP
                + "<｜Assistant｜>";
        assertEquals(expected, renderShared("deepseek_v3", conversation(ANSWER)));
    }

    @Test
    void deepseekR1Distill_stripsThinkFromEarlierTurnsAndOpensThinking() {
        String template = TestData.resource("templates/deepseek-r1-distill.jinja");
        String rendered = TEMPLATES.render(template, conversation(REASONED_ANSWER), true, Map.of(
                "bos_token", "<｜begin▁of▁sentence｜>", "eos_token", "<｜end▁of▁sentence｜>"));
        String expected = "<｜begin▁of▁sentence｜>" + SYSTEM
                + "<｜User｜>" + QUESTION
                + "<｜Assistant｜>\n\n" + ANSWER + "<｜end▁of▁sentence｜>"
                + "<｜User｜>" + FOLLOW_UP
                + "<｜Assistant｜><think>\n";
        assertEquals(expected, rendered);
        assertFalse(rendered.contains("Add two and two"));
        assertTrue(dev.petrel.chat.ReasoningSplit.opensReasoning(rendered));
    }

    @Test
    void deepseekR1Distill_withoutGenerationPromptEndsAfterLastTurn() {
        String template = TestData.resource("templates/deepseek-r1-distill.jinja");
        String rendered = TEMPLATES.render(template, List.of(ChatMessage.user("Hi")), false, Map.of());
        assertEquals("<｜User｜>Hi", rendered);
    }

    @Test
    void renderWithTokenizer_takesTemplateAndSpecialTokensFromTokenizer() {
        String template = TestData.configString("llama3", "chat_template");
        Tokenizer tokenizer = new FakeTokenizer(Optional.of(template), "<|begin_of_text|>", "<|end_of_text|>");
        String rendered = TEMPLATES.render(tokenizer, List.of(ChatMessage.user("Hi")), true);
        assertEquals("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n", rendered);
    }

    @Test
    void renderWithTokenizer_failsNamingTheKeyWhenTheModelHasNoTemplate() {
        Tokenizer tokenizer = new FakeTokenizer(Optional.empty(), "<s>", "</s>");
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> TEMPLATES.render(tokenizer, List.of(ChatMessage.user("Hi")), true));
        assertEquals("tokenizer.chat_template", e.field());
        assertTrue(e.getMessage().contains("no chat template"), e.getMessage());
    }

    @Test
    void raiseException_becomesAnErrorWithTheTemplatesMessage() {
        String template = "{% if messages[0]['role'] != 'user' %}"
                + "{{ raise_exception('Conversation roles must alternate user/assistant') }}{% endif %}ok";
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> TEMPLATES.render(template, List.of(ChatMessage.assistant("x")), false, Map.of()));
        assertTrue(e.getMessage().contains("Conversation roles must alternate user/assistant"), e.getMessage());
        assertEquals("tokenizer.chat_template", e.field());
        assertEquals("ok", TEMPLATES.render(template, List.of(ChatMessage.user("x")), false, Map.of()));
    }

    @Test
    void brokenTemplate_failsWithTheParseError() {
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> TEMPLATES.render("{{ messages[ }}", List.of(), false, Map.of()));
        assertTrue(e.getMessage().contains("does not render"), e.getMessage());
    }

    @Test
    void include_isRefused() {
        assertThrows(ModelFormatException.class,
                () -> TEMPLATES.render("{% include 'META-INF/MANIFEST.MF' %}", List.of(), false, Map.of()));
    }

    @Test
    void hostileTemplate_cannotReachJavaClasses() {
        String probe = "{{ ''.getClass() }}{{ ''.class }}{{ messages.getClass().forName('java.lang.Runtime') }}";
        String rendered;
        try {
            rendered = TEMPLATES.render(probe, List.of(ChatMessage.user("x")), false, Map.of());
        } catch (ModelFormatException e) {
            return; // refused outright: fine too
        }
        assertFalse(rendered.contains("java.lang"), rendered);
    }

    @Test
    void strftimeNow_formatsTheEngineClock() {
        long instant = Instant.parse("2025-03-07T10:15:00Z").toEpochMilli();
        JinjaChatTemplate fixed = new JinjaChatTemplate(() -> instant, ZoneOffset.UTC);
        assertEquals("07 Mar 2025", fixed.render("{{ strftime_now('%d %b %Y') }}", List.of(), false, Map.of()));
    }

    /** Minimal tokenizer: only what render(Tokenizer, ...) reads. */
    private record FakeTokenizer(Optional<String> template, String bos, String eos) implements Tokenizer {
        @Override public String model() { return "bpe"; }
        @Override public String preTokenizer() { return "default"; }
        @Override public int vocabularySize() { return 2; }
        @Override public int[] encode(String text, boolean addSpecial, boolean parseSpecial) { return new int[0]; }
        @Override public String decode(int[] ids, boolean renderSpecial) { return ""; }
        @Override public byte[] tokenBytes(int id) { return new byte[0]; }
        @Override public String tokenText(int id) { return id == 0 ? bos : eos; }
        @Override public TokenKind kind(int id) { return null; }
        @Override public Optional<Integer> id(String tokenText) { return Optional.empty(); }
        @Override public int bosId() { return 0; }
        @Override public int eosId() { return 1; }
        @Override public boolean isEndOfGeneration(int id) { return id == 1; }
        @Override public Optional<String> chatTemplate() { return template; }
    }
}
