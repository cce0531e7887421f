package dev.petrel.shell;

import dev.petrel.api.PetrelException;
import dev.petrel.api.engine.LoadOptions;
import dev.petrel.api.engine.ModelArchitecture;
import dev.petrel.api.engine.ModelConfig;
import dev.petrel.api.weights.Metadata;
import dev.petrel.api.weights.TensorInfo;
import dev.petrel.api.weights.WeightSource;
import dev.petrel.api.weights.WeightSourceProvider;
import java.lang.reflect.Array;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/** {@code petrel:inspect FILE}: a model file's metadata and tensor table, from its header only. */
@Component(service = InspectCommand.class, property = {
    "osgi.command.scope=petrel",
    "osgi.command.function=inspect"
})
public class InspectCommand {

    /** Array values longer than this are shown by their first elements only. */
    private static final int ARRAY_PREVIEW = 8;
    private static final int STRING_PREVIEW = 120;

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    final List<WeightSourceProvider> providers = new CopyOnWriteArrayList<>();

    /** To read the hyperparameters (and the KV cache size) of the architectures installed. */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    final List<ModelArchitecture> architectures = new CopyOnWriteArrayList<>();

    @Descriptor("show a model file's metadata and tensors: inspect FILE")
    public String inspect(@Descriptor("FILE") String... argv) {
        CommandArgs args = CommandArgs.parse("inspect", argv, Set.of(), Set.of());
        if (args.positional().size() != 1) {
            throw new CommandArgs.UsageException("usage: inspect FILE");
        }
        try (WeightSource source = WeightSources.open(providers, Path.of(args.positional().get(0)))) {
            return describe(source) + attention(source.metadata(), architectures);
        }
    }

    /**
     * The KV cache per token, from the architecture's reading of the keys (header only), or why
     * it cannot be given.
     */
    static String attention(Metadata metadata, List<ModelArchitecture> architectures) {
        String arch = metadata.optionalString("general.architecture").orElse(null);
        if (arch == null) {
            return "";
        }
        ModelArchitecture architecture = architectures.stream().filter(a -> a.name().equals(arch)).findFirst()
                .orElse(null);
        if (architecture == null) {
            return "kv cache: unknown (no architecture '" + arch + "' is installed)\n";
        }
        ModelConfig config;
        try {
            config = architecture.config(metadata);
        } catch (PetrelException | IllegalArgumentException e) {
            return "kv cache: unknown (" + e.getMessage() + ")\n";
        }
        return "kv cache: " + CacheFigures.of(config, LoadOptions.DEFAULTS.cacheType()).describe(config.attention())
                + "\n";
    }

    static String describe(WeightSource source) {
        StringBuilder out = new StringBuilder();
        Metadata metadata = source.metadata();
        out.append("file:   ").append(source.location()).append('\n');
        out.append("format: ").append(source.format()).append('\n');
        out.append('\n').append("metadata (").append(metadata.keys().size()).append(" keys)\n");
        for (String key : metadata.keys()) {
            out.append("  ").append(key).append(" = ").append(preview(metadata.find(key).orElse(null))).append('\n');
        }
        List<TensorInfo> tensors = source.tensors();
        long totalBytes = 0;
        long totalElements = 0;
        int nameWidth = Math.max(4, tensors.stream().mapToInt(t -> t.name().length()).max().orElse(0));
        out.append('\n').append("tensors (").append(tensors.size()).append(")\n");
        out.append(String.format("  %-" + nameWidth + "s  %-7s  %-24s  %14s%n", "name", "type", "shape", "bytes"));
        for (TensorInfo t : tensors) {
            String scaled = source.scales(t)
                    .map(s -> "  + block scales " + s.blockRows() + "x" + s.blockColumns()).orElse("");
            out.append(String.format("  %-" + nameWidth + "s  %-7s  %-24s  %14d%s%n",
                    t.name(), t.type(), Arrays.toString(t.dims()), t.byteSize(), scaled));
            totalBytes += t.byteSize();
            totalElements += t.elementCount();
        }
        out.append(String.format("%ntotal: %,d parameters in %,d bytes (%.2f GiB)%n",
                totalElements, totalBytes, totalBytes / (double) (1L << 30)));
        return out.toString();
    }

    private static String preview(Object value) {
        if (value == null) {
            return "null";
        }
        if (value instanceof String s) {
            return quote(s);
        }
        if (value instanceof List<?> list) {
            StringBuilder b = new StringBuilder("[");
            String kind = list.isEmpty() ? "" : list.get(0) instanceof String ? "string" : "array";
            for (int i = 0; i < Math.min(list.size(), ARRAY_PREVIEW); i++) {
                b.append(i == 0 ? "" : ", ").append(preview(list.get(i)));
            }
            return b.append(list.size() > ARRAY_PREVIEW ? ", ... " : "").append("] (")
                    .append(list.size()).append(' ').append(kind).append(list.size() == 1 ? "" : "s").append(')')
                    .toString();
        }
        if (value.getClass().isArray()) {
            int length = Array.getLength(value);
            StringBuilder b = new StringBuilder("[");
            for (int i = 0; i < Math.min(length, ARRAY_PREVIEW); i++) {
                b.append(i == 0 ? "" : ", ").append(Array.get(value, i));
            }
            return b.append(length > ARRAY_PREVIEW ? ", ... " : "").append("] (").append(length).append(' ')
                    .append(value.getClass().getComponentType().getSimpleName()).append(length == 1 ? "" : "s")
                    .append(')').toString();
        }
        return String.valueOf(value);
    }

    private static String quote(String s) {
        String shown = s.length() > STRING_PREVIEW ? s.substring(0, STRING_PREVIEW) + "..." : s;
        StringBuilder b = new StringBuilder("\"");
        for (char c : shown.toCharArray()) {
            switch (c) {
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> b.append(c < 0x20 ? String.format("\\u%04x", (int) c) : String.valueOf(c));
            }
        }
        return b.append('"').toString();
    }
}
