package dev.petrel.models.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.petrel.models.DownloadListener;
import dev.petrel.models.HubReference;
import dev.petrel.models.ModelResolutionException;
import dev.petrel.models.ModelResolutionException.Reason;
import dev.petrel.models.ModelResolver;
import java.io.IOException;
import java.lang.annotation.Annotation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelResolverComponentTest {

    @TempDir
    Path dir;

    private ModelResolverComponent resolver(java.net.URI endpoint) {
        return new ModelResolverComponent(new HubDownloader.Settings(endpoint, dir.resolve("cache/models"), null,
                0, Duration.ofMillis(10), Duration.ofSeconds(5), Duration.ofSeconds(30)), () -> DownloadListener.SILENT);
    }

    private static ModelResolverComponent.Config config(String cacheDir, String endpoint) {
        return new ModelResolverComponent.Config() {
            @Override public Class<? extends Annotation> annotationType() { return ModelResolverComponent.Config.class; }
            @Override public String cache_dir() { return cacheDir; }
            @Override public String hub_endpoint() { return endpoint; }
            @Override public int download_retries() { return 3; }
            @Override public int download_stall_seconds() { return 60; }
        };
    }

    @Test
    void resolve_existingPathIsReturnedAbsolute() throws IOException {
        Path file = Files.writeString(dir.resolve("model.gguf"), "GGUF");
        Path resolved = resolver(java.net.URI.create("http://127.0.0.1:9")).resolve(file.toString());
        assertEquals(file.toAbsolutePath().normalize(), resolved);
        assertEquals(dir, resolver(java.net.URI.create("http://127.0.0.1:9")).resolve(dir + "/./"));
    }

    @Test
    void resolve_missingPathSaysWhichFileAndWhatToPass() {
        Path missing = dir.resolve("nope.gguf");
        ModelResolutionException e = assertThrows(ModelResolutionException.class,
                () -> resolver(java.net.URI.create("http://127.0.0.1:9")).resolve(missing.toString()));
        assertEquals(Reason.NOT_FOUND, e.reason());
        assertTrue(e.getMessage().contains("model file not found: " + missing), e.getMessage());
        assertTrue(e.getMessage().contains("hf://owner/repo/file.gguf"), e.getMessage());
    }

    @Test
    void resolve_blankAndUrlAreRefusedWithAHint() {
        ModelResolverComponent r = resolver(java.net.URI.create("http://127.0.0.1:9"));
        ModelResolutionException blank = assertThrows(ModelResolutionException.class, () -> r.resolve(" "));
        assertTrue(blank.getMessage().contains(ModelResolver.DEFAULT_MODEL), blank.getMessage());
        ModelResolutionException url = assertThrows(ModelResolutionException.class,
                () -> r.resolve("https://huggingface.co/o/r/resolve/main/f.gguf"));
        assertEquals(Reason.INVALID_REFERENCE, url.reason());
        assertTrue(url.getMessage().contains("hf://owner/repo/file.gguf"), url.getMessage());
    }

    @Test
    void resolve_hubReferenceIsDownloadedIntoTheCacheOnce() throws IOException {
        try (FakeHub hub = new FakeHub(100_000, 7)) {
            ModelResolverComponent r = resolver(hub.endpoint());
            Path file = r.resolve("hf://owner/repo/model.gguf");
            assertEquals(dir.resolve("cache/models/owner/repo/model.gguf"), file);
            assertEquals(r.cachePath(HubReference.parse("hf://owner/repo/model.gguf")), file);
            assertArrayEquals(hub.content, Files.readAllBytes(file));
            assertEquals(file, r.resolve("hf://owner/repo/model.gguf"));
            assertEquals(1, hub.contentRequests.get());
        }
    }

    @Test
    void settings_configurationThenEnvironmentThenDefaults() {
        Map<String, String> env = Map.of("PETREL_CACHE", dir.resolve("env-cache").toString(),
                "HF_ENDPOINT", "http://mirror.invalid", "HF_TOKEN", "t");
        HubDownloader.Settings fromEnv = ModelResolverComponent.settings(config("", ""), env);
        assertEquals(dir.resolve("env-cache/models"), fromEnv.modelsDirectory());
        assertEquals("http://mirror.invalid", fromEnv.endpoint().toString());
        assertEquals("t", fromEnv.token());

        HubDownloader.Settings configured = ModelResolverComponent.settings(
                config(dir.resolve("configured").toString(), "http://127.0.0.1:1"), env);
        assertEquals(dir.resolve("configured/models"), configured.modelsDirectory());
        assertEquals("http://127.0.0.1:1", configured.endpoint().toString());

        HubDownloader.Settings xdg = ModelResolverComponent.settings(config("", ""),
                Map.of("XDG_CACHE_HOME", dir.resolve("xdg").toString()));
        assertEquals(dir.resolve("xdg/petrel/models"), xdg.modelsDirectory());
        assertEquals(ModelResolverComponent.DEFAULT_ENDPOINT, xdg.endpoint().toString());

        HubDownloader.Settings defaults = ModelResolverComponent.settings(config("", ""), Map.of());
        assertEquals(Path.of(System.getProperty("user.home"), ".cache", "petrel", "models"),
                defaults.modelsDirectory());
    }
}
