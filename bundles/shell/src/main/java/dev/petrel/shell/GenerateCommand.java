package dev.petrel.shell;

import dev.petrel.api.engine.GenerationRequest;
import dev.petrel.api.engine.GenerationResult;
import dev.petrel.api.engine.LoadOptions;
import dev.petrel.api.engine.Model;
import dev.petrel.api.engine.SamplerSettings;
import dev.petrel.api.engine.Session;
import dev.petrel.api.engine.TokenListener;
import java.io.IOException;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code petrel:generate --model FILE (--prompt TEXT | --prompt-ids 1,2,3) [--max-tokens N]
 * [--json] [sampling options]}: plain completion of a prompt, for scripts. With
 * {@code --prompt} the text is tokenized with the model's BOS; {@code --prompt-ids} are used
 * as given. With {@code --json} standard output holds exactly one object
 * {@code {"prompt_ids":[...],"ids":[...],"text":"..."}}; otherwise the text streams as it
 * is generated and the timings go to standard error.
 */
@Component(service = GenerateCommand.class, property = {
    "osgi.command.scope=petrel",
    "osgi.command.function=generate"
})
public class GenerateCommand {

    static final String USAGE = "usage: generate --model FILE (--prompt TEXT | --prompt-ids 1,2,3) [--max-tokens N]"
            + " [--stop TEXT]... [--context N] [--attention NAME] [--threads N] [--json] " + SamplingOptions.USAGE;

    private static final int DEFAULT_MAX_TOKENS = 128;

    @Reference
    ModelLoader loader;

    @Descriptor("complete a prompt: generate --model FILE (--prompt TEXT | --prompt-ids 1,2,3) [--max-tokens N]"
            + " [--stop TEXT]... [--threads N] [--json]"
            + " [--temperature T] [--seed S] [--top-k K] [--top-p P] [--min-p P] [--repeat-penalty R]")
    public String generate(@Descriptor("options") String... argv) throws IOException {
        Set<String> valued = new HashSet<>(SamplingOptions.NAMES);
        valued.addAll(List.of("model", "prompt", "prompt-ids", "max-tokens", "context", "threads", "stop", "attention"));
        CommandArgs args = CommandArgs.parse("generate", argv, valued, Set.of("json"));
        if (!args.positional().isEmpty()
                || args.value("prompt").isPresent() == args.value("prompt-ids").isPresent()) {
            throw new CommandArgs.UsageException(USAGE);
        }
        SamplerSettings sampling = SamplingOptions.settings(args, SamplerSettings.DEFAULTS);
        int maxTokens = args.intValue("max-tokens", DEFAULT_MAX_TOKENS);
        LoadOptions load = new LoadOptions(args.intValue("context", 0), LoadOptions.DEFAULTS.cacheType(),
                args.value("attention").orElse(null));
        boolean json = args.flag("json");

        try (Model model = loader.load(args.require("model"), args, load);
                Session session = model.openSession()) {
            int[] promptIds = args.value("prompt-ids").isPresent()
                    ? parseIds(args.value("prompt-ids").get())
                    : model.tokenizer().encode(args.value("prompt").get(), true, true);
            PrintStream out = System.out;
            TokenListener stream = json ? TokenListener.NONE : (id, piece) -> {
                out.print(piece);
                out.flush();
                return true;
            };
            GenerationResult result = session.generate(
                    new GenerationRequest(promptIds, sampling, maxTokens, args.values("stop"), false), stream);
            if (json) {
                return new Json().ids("prompt_ids", result.promptIds()).ids("ids", result.ids())
                        .field("text", result.text()).toString();
            }
            out.println();
            System.err.println(Timing.describe(result));
            return null;
        }
    }

    static int[] parseIds(String list) {
        try {
            return Arrays.stream(list.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                    .mapToInt(Integer::parseInt).toArray();
        } catch (NumberFormatException e) {
            throw new CommandArgs.UsageException("--prompt-ids expects comma-separated token ids, got '" + list + "'");
        }
    }
}
