package dev.petrel.models;

import java.nio.file.Path;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Turns a {@code --model} argument into a local file or folder.
 *
 * <ul>
 * <li>A path (a GGUF file, or a folder with a Hugging Face model): checked to exist, returned
 * as an absolute path. A leading {@code ~/} means the user's home.
 * <li>{@code hf://owner/repo/file} or {@code hf://owner/repo@revision/file}: the file of that
 * Hugging Face repository (revision {@code main} when none is given), taken from the cache
 * when it is there, else downloaded into it first.
 * </ul>
 *
 * <p>The cache is {@code <cache>/models/owner/repo/file}, where {@code <cache>} is the
 * {@code cache.dir} property of configuration {@code dev.petrel.models}, else the environment
 * variable {@code PETREL_CACHE}, else {@code $XDG_CACHE_HOME/petrel}, else
 * {@code ~/.cache/petrel}. Failures are {@link ModelResolutionException}s whose message says
 * what to do (offline: pass a local file with {@code --model PATH}). Thread-safe; two callers
 * asking for the same file share one download.
 */
@ProviderType
public interface ModelResolver {

    /**
     * The model Petrel runs when none is named: DeepSeek-R1-Distill-Qwen-1.5B quantized to
     * Q8_0, from bartowski's GGUF conversions on Hugging Face (about 1.9 GB).
     */
    String DEFAULT_MODEL =
            "hf://bartowski/DeepSeek-R1-Distill-Qwen-1.5B-GGUF/DeepSeek-R1-Distill-Qwen-1.5B-Q8_0.gguf";

    /**
     * Resolves a reference, downloading it if needed with progress on standard error (a bar
     * on a terminal, an occasional line otherwise).
     *
     * @throws ModelResolutionException when the file does not exist, cannot be downloaded or
     *         fails its checks
     */
    Path resolve(String model);

    /** Resolves a reference, reporting a download to {@code listener} instead of stderr. */
    Path resolve(String model, DownloadListener listener);

    /**
     * Where a Hugging Face reference lives in the cache, whether or not it was downloaded
     * yet.
     */
    Path cachePath(HubReference reference);

    /** The folder that holds downloaded models ({@code <cache>/models}). */
    Path modelsDirectory();
}
