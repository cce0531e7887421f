package dev.petrel.shell;

import dev.petrel.api.tokenizer.Tokenizer;
import dev.petrel.api.tokenizer.TokenizerFactory;
import dev.petrel.api.weights.WeightSource;
import dev.petrel.api.weights.WeightSourceProvider;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * {@code petrel:tokenize --model FILE_OR_DIR (--text-file F | TEXT) [--json] [--add-special]
 * [--parse-special]}: the token ids of a text under a model's tokenizer.
 */
@Component(service = TokenizeCommand.class, property = {
    "osgi.command.scope=petrel",
    "osgi.command.function=tokenize"
})
public class TokenizeCommand {

    static final String USAGE = "usage: tokenize --model FILE_OR_DIR (--text-file F | TEXT) [--json] [--add-special] [--parse-special]";

    @Reference
    TokenizerFactory tokenizers;

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    final List<WeightSourceProvider> providers = new CopyOnWriteArrayList<>();

    @Descriptor("token ids of a text: tokenize --model FILE_OR_DIR (--text-file F | TEXT) [--json] [--add-special] [--parse-special]")
    public String tokenize(@Descriptor("options and text") String... argv) throws IOException {
        CommandArgs args = CommandArgs.parse("tokenize", argv,
                Set.of("model", "text-file"), Set.of("json", "add-special", "parse-special"));
        String text = text(args);
        Tokenizer tokenizer = load(Path.of(args.require("model")));
        int[] ids = tokenizer.encode(text, args.flag("add-special"), args.flag("parse-special"));
        return args.flag("json") ? new Json().ids("ids", ids).toString() : table(tokenizer, ids);
    }

    private static String text(CommandArgs args) throws IOException {
        List<String> rest = args.positional();
        if (args.value("text-file").isPresent()) {
            if (!rest.isEmpty()) {
                throw new CommandArgs.UsageException("tokenize: give either --text-file or TEXT, not both\n" + USAGE);
            }
            return Files.readString(Path.of(args.value("text-file").get()), StandardCharsets.UTF_8);
        }
        if (rest.size() != 1) {
            throw new CommandArgs.UsageException(USAGE);
        }
        return rest.get(0);
    }

    private Tokenizer load(Path model) throws IOException {
        if (Files.isDirectory(model)) {
            return tokenizers.fromHuggingFace(model);
        }
        try (WeightSource source = WeightSources.open(providers, model)) {
            return tokenizers.fromMetadata(source.metadata());
        }
    }

    private static String table(Tokenizer tokenizer, int[] ids) {
        StringBuilder out = new StringBuilder();
        for (int id : ids) {
            out.append(String.format("%8d  %s%n", id, visible(tokenizer.tokenText(id))));
        }
        return out.append(ids.length).append(ids.length == 1 ? " token" : " tokens").toString();
    }

    /** The vocabulary entry with control characters made visible. */
    private static String visible(String piece) {
        StringBuilder b = new StringBuilder("'");
        piece.codePoints().forEach(c -> {
            if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\x%02x", c));
            } else {
                b.appendCodePoint(c);
            }
        });
        return b.append('\'').toString();
    }
}
