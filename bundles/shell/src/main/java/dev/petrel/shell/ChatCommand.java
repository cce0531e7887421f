package dev.petrel.shell;

import dev.petrel.api.PetrelException;
import dev.petrel.api.engine.ChatMessage;
import dev.petrel.api.engine.ChatTemplate;
import dev.petrel.api.engine.GenerationRequest;
import dev.petrel.api.engine.GenerationResult;
import dev.petrel.api.engine.LoadOptions;
import dev.petrel.api.engine.Model;
import dev.petrel.api.engine.SamplerSettings;
import dev.petrel.api.engine.Session;
import dev.petrel.api.tokenizer.Tokenizer;
import dev.petrel.chat.ReasoningSplit;
import dev.petrel.chat.ReasoningStream;
import dev.petrel.models.ModelResolver;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code petrel:run [MODEL] [--raw] [--hide-thinking] [--system TEXT] ...} (also
 * {@code petrel:chat}): a multi-turn chat on standard input and output, the conversation
 * rendered by the model's own chat template. Without a model, the default model is
 * downloaded on first use. Reasoning models write a {@code <think>} section first: it is
 * shown apart from the answer (or hidden) and kept out of the history sent back.
 * {@code --raw} is plain completion: each line continues the text so far.
 */
@Component(service = ChatCommand.class, property = {
    "osgi.command.scope=petrel",
    "osgi.command.function=run",
    "osgi.command.function=chat"
})
public class ChatCommand {

    static final String USAGE = "usage: run [MODEL | --model MODEL] [--raw] [--hide-thinking] [--system TEXT]"
            + " [--max-tokens N] [--context N] [--attention NAME] [--threads N] " + SamplingOptions.USAGE;

    private static final String DIM = "\u001b[2m";
    private static final String RESET = "\u001b[0m";

    @Reference
    ModelLoader loader;

    @Reference
    ChatTemplate templates;

    @Descriptor("chat with a model: run [MODEL] [--raw] [--hide-thinking] [--system TEXT] [--max-tokens N]"
            + " [--temperature T] [--seed S] ... (no model: the default model, downloaded on first use)")
    public void run(@Descriptor("options") String... argv) throws IOException {
        chat(argv);
    }

    @Descriptor("same as run")
    public void chat(@Descriptor("options") String... argv) throws IOException {
        Set<String> valued = new HashSet<>(SamplingOptions.NAMES);
        valued.addAll(List.of("model", "system", "max-tokens", "context", "threads", "attention"));
        CommandArgs args = CommandArgs.parse("run", argv, valued, Set.of("raw", "hide-thinking"));
        if (args.positional().size() > 1 || args.positional().size() == 1 && args.value("model").isPresent()) {
            throw new CommandArgs.UsageException(USAGE);
        }
        String reference = args.positional().isEmpty()
                ? args.value("model").orElse(ModelResolver.DEFAULT_MODEL)
                : args.positional().get(0);
        SamplerSettings sampling = SamplingOptions.settings(args, SamplerSettings.DEFAULTS);
        int maxTokens = args.intValue("max-tokens", -1);
        LoadOptions load = new LoadOptions(args.intValue("context", 0), LoadOptions.DEFAULTS.cacheType(),
                args.value("attention").orElse(null));

        PrintStream out = System.out;
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        boolean terminal = System.console() != null;
        try (Model model = loader.load(reference, args, load); Session session = model.openSession()) {
            Conversation conversation = args.flag("raw")
                    ? new RawConversation(model.tokenizer())
                    : new TemplateConversation(model.tokenizer(), templates, args.value("system").orElse(null));
            out.printf("%s (%s) on %s — type a message, /reset to start over, /bye to leave%n",
                    model.location(), model.architecture(), model.backend());
            while (true) {
                out.print(terminal ? "> " : "");
                out.flush();
                String line = in.readLine();
                if (line == null || line.strip().equals("/bye") || line.strip().equals("/exit")) {
                    return;
                }
                if (line.strip().equals("/reset")) {
                    conversation.reset();
                    session.reset();
                    continue;
                }
                if (line.isBlank()) {
                    continue;
                }
                int[] prompt = conversation.promptFor(line);
                if (prompt.length >= session.contextLength()) {
                    throw new PetrelException("the conversation (" + prompt.length + " tokens) no longer fits the context of "
                            + session.contextLength() + " tokens: /reset to start over, or pass --context");
                }
                // Keep the cached positions the new prompt shares with the session; feed the rest
                // (at least one token, whose logits start the answer).
                int shared = Math.min(commonPrefix(session.tokens(), prompt), prompt.length - 1);
                session.truncate(shared);
                int[] rest = Arrays.copyOfRange(prompt, shared, prompt.length);
                boolean hideThinking = args.flag("hide-thinking");
                ReasoningStream shown = new ReasoningStream(conversation.promptOpensReasoning(), new ReasoningStream.Sink() {
                    @Override
                    public void reasoning(String text) {
                        if (!hideThinking) {
                            out.print(terminal ? DIM + text + RESET : text);
                        }
                    }

                    @Override
                    public void answer(String text) {
                        out.print(text);
                    }
                });
                GenerationResult result = session.generate(
                        new GenerationRequest(rest, sampling, maxTokens, List.of(), false),
                        (id, piece) -> {
                            shown.accept(piece);
                            out.flush();
                            return true;
                        });
                ReasoningSplit split = shown.finish();
                out.println();
                conversation.answered(split.answer(), result.text());
                System.err.println(Timing.describe(result));
            }
        }
    }

    private static int commonPrefix(int[] a, int[] b) {
        int n = Math.min(a.length, b.length);
        int i = 0;
        while (i < n && a[i] == b[i]) {
            i++;
        }
        return i;
    }

    /** The growing prompt of a conversation. */
    private interface Conversation {
        /** The whole prompt after the user says {@code line}. */
        int[] promptFor(String line);

        /** Records the model's reply: the answer (reasoning removed) and the full text. */
        void answered(String answer, String fullText);

        boolean promptOpensReasoning();

        void reset();
    }

    /** Messages rendered by the model's chat template; reasoning is kept out of the history. */
    private static final class TemplateConversation implements Conversation {
        private final Tokenizer tokenizer;
        private final ChatTemplate template;
        private final String system;
        private final List<ChatMessage> messages = new ArrayList<>();
        private boolean opensReasoning;

        TemplateConversation(Tokenizer tokenizer, ChatTemplate template, String system) {
            this.tokenizer = tokenizer;
            this.template = template;
            this.system = system;
            reset();
        }

        @Override
        public int[] promptFor(String line) {
            messages.add(new ChatMessage("user", line));
            String rendered = template.render(tokenizer, messages, true);
            opensReasoning = ReasoningSplit.opensReasoning(rendered);
            return withSingleBos(tokenizer, tokenizer.encode(rendered, true, true));
        }

        @Override
        public void answered(String answer, String fullText) {
            messages.add(new ChatMessage("assistant", answer.strip()));
        }

        @Override
        public boolean promptOpensReasoning() {
            return opensReasoning;
        }

        @Override
        public void reset() {
            messages.clear();
            if (system != null) {
                messages.add(new ChatMessage("system", system));
            }
        }
    }

    /** Plain completion: the text so far, each line appended. */
    private static final class RawConversation implements Conversation {
        private final Tokenizer tokenizer;
        private final StringBuilder text = new StringBuilder();

        RawConversation(Tokenizer tokenizer) {
            this.tokenizer = tokenizer;
        }

        @Override
        public int[] promptFor(String line) {
            text.append(text.isEmpty() ? "" : "\n").append(line);
            return tokenizer.encode(text.toString(), true, false);
        }

        @Override
        public void answered(String answer, String fullText) {
            text.append(fullText);
        }

        @Override
        public boolean promptOpensReasoning() {
            return false;
        }

        @Override
        public void reset() {
            text.setLength(0);
        }
    }

    /** Templates that write the BOS token themselves would get a second one from the tokenizer. */
    static int[] withSingleBos(Tokenizer tokenizer, int[] ids) {
        int bos = tokenizer.bosId();
        if (bos >= 0 && ids.length >= 2 && ids[0] == bos && ids[1] == bos) {
            return Arrays.copyOfRange(ids, 1, ids.length);
        }
        return ids;
    }
}
