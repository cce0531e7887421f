package dev.petrel.models.internal;

import dev.petrel.models.DownloadListener;
import dev.petrel.models.HubReference;
import dev.petrel.models.ModelResolutionException;
import dev.petrel.models.ModelResolutionException.Reason;
import dev.petrel.models.ModelResolver;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The {@link ModelResolver} service, configured by PID {@value #PID}; it works with no
 * configuration at all.
 */
@Component(service = ModelResolver.class, configurationPid = ModelResolverComponent.PID)
@Designate(ocd = ModelResolverComponent.Config.class)
public final class ModelResolverComponent implements ModelResolver {

    /** The configuration PID. */
    public static final String PID = "dev.petrel.models";
    /** The Hugging Face Hub. */
    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";

    @ObjectClassDefinition(name = "Petrel model resolver",
            description = "Where downloaded models are cached and where they come from.")
    public @interface Config {
        @AttributeDefinition(name = "Cache folder", required = false, description = "Petrel's cache"
                + " folder; models go in its models/ folder. Empty: $PETREL_CACHE, else"
                + " $XDG_CACHE_HOME/petrel, else ~/.cache/petrel.")
        String cache_dir() default "";

        @AttributeDefinition(name = "Hub endpoint", required = false, description = "Base URL of"
                + " the Hugging Face Hub (or a mirror). Empty: $HF_ENDPOINT, else " + DEFAULT_ENDPOINT + ".")
        String hub_endpoint() default "";

        @AttributeDefinition(name = "Retries", description = "How often a broken transfer is resumed"
                + " before the download gives up (the partial file is kept for the next try).")
        int download_retries() default 3;

        @AttributeDefinition(name = "Stall timeout", description = "Seconds without data after"
                + " which a transfer counts as broken.")
        int download_stall_seconds() default 60;
    }

    private final HubDownloader downloader;
    private final Supplier<DownloadListener> consoleProgress;

    @Activate
    public ModelResolverComponent(Config config) {
        this(settings(config, System.getenv()), ConsoleProgress::onStandardError);
    }

    ModelResolverComponent(HubDownloader.Settings settings, Supplier<DownloadListener> consoleProgress) {
        this.downloader = new HubDownloader(settings);
        this.consoleProgress = consoleProgress;
    }

    /** Settings from the configuration, then the environment, then the defaults. */
    static HubDownloader.Settings settings(Config config, Map<String, String> env) {
        Path cache = cacheFolder(config.cache_dir(), env);
        String endpoint = firstNonBlank(config.hub_endpoint(), env.get("HF_ENDPOINT"), DEFAULT_ENDPOINT);
        return new HubDownloader.Settings(URI.create(endpoint), cache.resolve("models"), env.get("HF_TOKEN"),
                Math.max(0, config.download_retries()), Duration.ofSeconds(1), Duration.ofSeconds(20),
                Duration.ofSeconds(Math.max(1, config.download_stall_seconds())));
    }

    static Path cacheFolder(String configured, Map<String, String> env) {
        String explicit = firstNonBlank(configured, env.get("PETREL_CACHE"), null);
        if (explicit != null) {
            return expandHome(explicit).toAbsolutePath().normalize();
        }
        String xdg = env.get("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) {
            return Path.of(xdg).resolve("petrel").toAbsolutePath().normalize();
        }
        return Path.of(System.getProperty("user.home"), ".cache", "petrel");
    }

    @Override
    public Path resolve(String model) {
        return resolve(model, null);
    }

    @Override
    public Path resolve(String model, DownloadListener listener) {
        if (model == null || model.isBlank()) {
            throw new ModelResolutionException(Reason.INVALID_REFERENCE, "no model given: pass --model"
                    + " with a GGUF file, a Hugging Face model folder or hf://owner/repo/file.gguf"
                    + " (the default model is " + DEFAULT_MODEL + ")");
        }
        String reference = model.strip();
        if (HubReference.isHubReference(reference)) {
            HubReference hub = HubReference.parse(reference);
            return downloader.fetch(hub, listener != null ? listener : consoleProgress.get());
        }
        if (reference.startsWith("http://") || reference.startsWith("https://")) {
            throw new ModelResolutionException(Reason.INVALID_REFERENCE, "'" + reference + "' is a URL;"
                    + " write a Hugging Face file as hf://owner/repo/file.gguf, or download it and pass its"
                    + " path with --model PATH");
        }
        Path path;
        try {
            path = expandHome(reference).toAbsolutePath().normalize();
        } catch (InvalidPathException e) {
            throw new ModelResolutionException(Reason.INVALID_REFERENCE, "'" + reference
                    + "' is not a valid path: " + e.getMessage(), e);
        }
        if (!Files.exists(path)) {
            throw new ModelResolutionException(Reason.NOT_FOUND, "model file not found: " + path
                    + (path.toString().equals(reference) ? "" : " (from '" + reference + "')")
                    + ". Pass a GGUF file, a Hugging Face model folder, or hf://owner/repo/file.gguf");
        }
        if (!Files.isReadable(path)) {
            throw new ModelResolutionException(Reason.IO, "model file not readable: " + path);
        }
        return path;
    }

    @Override
    public Path cachePath(HubReference reference) {
        return reference.cachePath(downloader.settings().modelsDirectory());
    }

    @Override
    public Path modelsDirectory() {
        return downloader.settings().modelsDirectory();
    }

    private static Path expandHome(String path) {
        if (path.equals("~") || path.startsWith("~/")) {
            return Path.of(System.getProperty("user.home") + path.substring(1));
        }
        return Path.of(path);
    }

    private static String firstNonBlank(String a, String b, String fallback) {
        if (a != null && !a.isBlank()) {
            return a.strip();
        }
        if (b != null && !b.isBlank()) {
            return b.strip();
        }
        return fallback;
    }

    @Override
    public String toString() {
        return "ModelResolver[" + Objects.toString(downloader.settings().modelsDirectory()) + "]";
    }
}
