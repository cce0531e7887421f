package dev.petrel.engine;

import dev.petrel.api.ModelFormatException;
import dev.petrel.api.PetrelException;
import dev.petrel.api.engine.Engine;
import dev.petrel.api.engine.ForwardPass;
import dev.petrel.api.engine.LoadOptions;
import dev.petrel.api.engine.Model;
import dev.petrel.api.engine.ModelArchitecture;
import dev.petrel.api.engine.ModelConfig;
import dev.petrel.api.engine.Sampler;
import dev.petrel.api.engine.SamplerSettings;
import dev.petrel.api.kernel.KernelBackend;
import dev.petrel.api.kernel.Lease;
import dev.petrel.api.tokenizer.Tokenizer;
import dev.petrel.api.tokenizer.TokenizerFactory;
import dev.petrel.api.weights.Metadata;
import dev.petrel.api.weights.WeightSource;
import dev.petrel.api.weights.WeightSourceProvider;
import dev.petrel.engine.sampling.ChainSampler;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * The engine service: opens model files with the weight source providers, finds the
 * architecture by {@code general.architecture}, builds the tokenizer, and places the model on
 * the bound kernel backend: the highest-ranked one, or the one {@code backend.target} pins in
 * the configuration of {@code dev.petrel.engine}. When another backend is bound, loaded models
 * move to it and their sessions follow at their next token boundary.
 */
@Component(service = Engine.class, configurationPid = "dev.petrel.engine")
public final class PetrelEngine implements Engine {

    private static final System.Logger LOG = System.getLogger(PetrelEngine.class.getName());

    /** An architecture service with the names of its {@code arch} property. */
    private record Registered(ModelArchitecture architecture, Set<String> names, int ranking, long id) {
    }

    private final List<WeightSourceProvider> providers = new CopyOnWriteArrayList<>();
    private final List<Registered> architectures = new CopyOnWriteArrayList<>();
    private final Set<LoadedModel> models = ConcurrentHashMap.newKeySet();
    private volatile TokenizerFactory tokenizers;
    private volatile KernelBackend backend;

    // ---- services ------------------------------------------------------------------------

    @Reference(name = "provider", cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, unbind = "removeProvider")
    void addProvider(WeightSourceProvider provider) {
        providers.add(provider);
    }

    void removeProvider(WeightSourceProvider provider) {
        providers.remove(provider);
    }

    @Reference(name = "architecture", cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, unbind = "removeArchitecture")
    void addArchitecture(ModelArchitecture architecture, Map<String, Object> properties) {
        Set<String> names = new TreeSet<>(names(properties.get(ModelArchitecture.ARCH)));
        if (names.isEmpty()) {
            names.add(architecture.name());
        }
        int ranking = properties.get("service.ranking") instanceof Integer r ? r : 0;
        long id = properties.get("service.id") instanceof Long l ? l : 0;
        architectures.add(new Registered(architecture, names, ranking, id));
    }

    void removeArchitecture(ModelArchitecture architecture) {
        architectures.removeIf(r -> r.architecture() == architecture);
    }

    @Reference(name = "tokenizers", cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, unbind = "removeTokenizers")
    void setTokenizers(TokenizerFactory factory) {
        tokenizers = factory;
    }

    void removeTokenizers(TokenizerFactory factory) {
        if (tokenizers == factory) {
            tokenizers = null;
        }
    }

    /**
     * Every backend that matches {@code backend.target} (all of them when nothing is pinned), as
     * SCR binds them; the engine places its models on the best one itself: the highest
     * {@code service.ranking}, then the lowest {@code service.id}, as the framework orders
     * services. Choosing here rather than through a 0..1 reference keeps a departing backend's
     * successor from depending on the order of SCR's callbacks: with a 0..1 reference a
     * backend that left right after a change of the pin was once unbound with no successor
     * bound, though another one was registered, and the models waited for good.
     */
    private final List<Candidate> candidates = new ArrayList<>(); // guarded by itself
    /** Orders backends bound by hand ({@link #bindBackend}): each outranks those before it. */
    private long handBound;

    /** A bound backend and its place in the order. */
    private record Candidate(KernelBackend backend, int ranking, long order) {
    }

    /** A backend matching the configuration registers: models move to it when it ranks first. */
    @Reference(name = "backend", cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, unbind = "removeBackend", updated = "updatedBackend")
    void addBackend(KernelBackend added, Map<String, Object> properties) {
        synchronized (candidates) {
            remember(added, properties);
            choose();
        }
    }

    /** A backend's properties changed (its ranking): the first one may be another now. */
    void updatedBackend(KernelBackend backend, Map<String, Object> properties) {
        addBackend(backend, properties);
    }

    /**
     * A backend leaves: models move to the next best one; models still on the leaving one (a
     * move that failed before) try again, and idle sessions move their caches off it while it
     * still holds them. The leaving backend frees its memory only after that, when its leases
     * are closed (or its bounded wait ends).
     */
    void removeBackend(KernelBackend leaving) {
        synchronized (candidates) {
            candidates.removeIf(c -> c.backend() == leaving);
            choose();
            KernelBackend current = backend;
            if (current == null) {
                if (!models.isEmpty()) {
                    LOG.log(System.Logger.Level.WARNING, "kernel backend '" + leaving.name()
                            + "' left and none replaces it: loaded models wait for another");
                }
                return;
            }
            moveModels(current, m -> m.placement().backend() == leaving);
            for (LoadedModel model : models) {
                model.moveIdleSessions();
            }
        }
    }

    /**
     * Binds {@code next} by hand, ranked above every backend bound before (tests and
     * benchmarks that drive the engine without SCR): models move to it; sessions follow
     * between tokens. {@link #removeBackend} takes it away again.
     */
    void bindBackend(KernelBackend next) {
        synchronized (candidates) {
            candidates.removeIf(c -> c.backend() == next);
            candidates.add(new Candidate(next, Integer.MAX_VALUE, -++handBound));
            choose();
        }
    }

    private void remember(KernelBackend backend, Map<String, Object> properties) {
        int ranking = properties.get("service.ranking") instanceof Integer r ? r : 0;
        long id = properties.get("service.id") instanceof Long l ? l : Long.MAX_VALUE;
        candidates.removeIf(c -> c.backend() == backend);
        candidates.add(new Candidate(backend, ranking, id));
    }

    /** Makes the first candidate the engine's backend; models move to it when it changes. */
    private void choose() {
        KernelBackend first = candidates.stream()
                .max(Comparator.comparingInt(Candidate::ranking).thenComparing(Candidate::order, Comparator.reverseOrder()))
                .map(Candidate::backend).orElse(null);
        if (first == backend) {
            return;
        }
        backend = first;
        if (first != null) {
            moveModels(first, m -> true);
        }
    }

    private void moveModels(KernelBackend target, Predicate<LoadedModel> which) {
        for (LoadedModel model : models) {
            if (!which.test(model)) {
                continue;
            }
            long start = System.nanoTime();
            try {
                model.moveTo(target);
                LOG.log(System.Logger.Level.DEBUG, () -> model.location() + ": weights placed on kernel backend '"
                        + target.name() + "' in " + (System.nanoTime() - start) / 1_000_000 + " ms");
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, () -> model.location() + " stays on '" + model.backend()
                        + "': it cannot move to '" + target.name() + "': " + e.getMessage(), e);
            }
            model.moveIdleSessions();
        }
    }

    /**
     * Configuration changes ({@code backend.target}) keep the engine and its models: SCR
     * rebinds the backend reference instead of reactivating the component.
     */
    @Modified
    void modified() {
        // the new target is applied by SCR to the dynamic reference
    }

    @Deactivate
    void deactivate() {
        for (LoadedModel model : List.copyOf(models)) {
            model.close();
        }
    }

    // ---- Engine ---------------------------------------------------------------------------

    @Override
    public Model load(Path path, LoadOptions options) throws IOException {
        Objects.requireNonNull(options, "options");
        if (!Files.exists(path)) {
            throw new NoSuchFileException(path.toString(), null, "no model file or folder there");
        }
        WeightSourceProvider provider = providers.stream().filter(p -> p.accepts(path)).findFirst()
                .orElseThrow(() -> new ModelFormatException(path.toString(), "format",
                        "no weight source provider reads it; formats available: "
                                + providers.stream().map(WeightSourceProvider::format).sorted().toList()));
        WeightSource source = provider.open(path);
        try {
            return load(source, options, true);
        } catch (RuntimeException | Error e) {
            source.close();
            throw e;
        }
    }

    @Override
    public Model load(WeightSource source, LoadOptions options) {
        return load(source, options, false);
    }

    @Override
    public Sampler sampler(SamplerSettings settings) {
        return new ChainSampler(settings);
    }

    /** The names of the architectures this engine can load. */
    public Set<String> architectures() {
        Set<String> names = new TreeSet<>();
        architectures.forEach(r -> names.addAll(r.names()));
        return names;
    }

    /** The models loaded and not yet closed. */
    public List<Model> models() {
        return List.copyOf(models);
    }

    private Model load(WeightSource source, LoadOptions options, boolean ownsSource) {
        Metadata metadata = source.metadata();
        String name = metadata.string("general.architecture");
        ModelArchitecture architecture = architecture(name).orElseThrow(() -> new ModelFormatException(
                source.location(), "general.architecture",
                "unknown architecture '" + name + "'; known: " + String.join(", ", architectures())));
        ModelConfig config = architecture.config(metadata);
        Tokenizer tokenizer = tokenizer(source);
        int context = options.contextLength() > 0
                ? options.contextLength()
                : Math.min(config.contextLength(), LoadOptions.DEFAULT_CONTEXT);

        KernelBackend target = backend;
        if (target == null) {
            throw new PetrelException(source.location() + ": no kernel backend is available to load the model on");
        }
        ForwardPass pass;
        try (Lease lease = target.acquire()) {
            pass = architecture.load(source, config, options, target);
        } catch (UnsupportedOperationException e) {
            throw new PetrelException(e.getMessage(), e);
        }
        LoadedModel[] holder = new LoadedModel[1];
        // The pass's config: an architecture may complete it from the tensors (deepseek2's exp_probs_b).
        LoadedModel model = new LoadedModel(source, ownsSource, pass.config(), tokenizer, context, options.cacheType(),
                new Placement(pass), () -> models.remove(holder[0]));
        holder[0] = model;
        models.add(model);
        synchronized (candidates) {
            KernelBackend current = backend;
            if (current != target && current != null) {
                // a swap happened while loading
                moveModels(current, m -> m == model);
            }
        }
        return model;
    }

    private java.util.Optional<ModelArchitecture> architecture(String name) {
        return architectures.stream()
                .filter(r -> r.names().contains(name))
                .max(Comparator.comparingInt(Registered::ranking).thenComparing(Registered::id, Comparator.reverseOrder()))
                .map(Registered::architecture);
    }

    private Tokenizer tokenizer(WeightSource source) {
        TokenizerFactory factory = tokenizers;
        if (factory == null) {
            throw new PetrelException(source.location() + ": no tokenizer service is available");
        }
        if ("gguf".equals(source.format())) {
            return factory.fromMetadata(source.metadata());
        }
        try {
            return factory.fromHuggingFace(Path.of(source.location()));
        } catch (IOException e) {
            throw new PetrelException(source.location() + ": the tokenizer files cannot be read: " + e.getMessage(), e);
        }
    }

    private static Collection<String> names(Object arch) {
        return switch (arch) {
            case String s -> List.of(s);
            case String[] array -> List.of(array);
            case Collection<?> c -> c.stream().map(String::valueOf).toList();
            case null, default -> List.of();
        };
    }
}
