package dev.petrel.loader.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.petrel.api.ModelFormatException;
import dev.petrel.api.weights.WeightSource;
import dev.petrel.api.weights.WeightSourceProvider;
import dev.petrel.loader.gguf.provider.GgufWeightSourceProvider;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufWeightSourceProviderTest {

    private final WeightSourceProvider provider = new GgufWeightSourceProvider();

    @TempDir
    Path dir;

    @Test
    void format_isGguf() {
        assertEquals("gguf", provider.format());
    }

    @Test
    void accepts_checksTheMagicOnly() throws IOException {
        Path gguf = Files.write(dir.resolve("a.gguf"), Samples.sampleFile());
        Path headerOnly = Files.write(dir.resolve("magic-only.bin"), new byte[] {'G', 'G', 'U', 'F'});
        assertTrue(provider.accepts(gguf));
        assertTrue(provider.accepts(headerOnly));
        assertFalse(provider.accepts(Files.writeString(dir.resolve("config.json"), "{}")));
        assertFalse(provider.accepts(Files.write(dir.resolve("short.gguf"), new byte[] {'G', 'G', 'U'})));
        assertFalse(provider.accepts(Files.createDirectory(dir.resolve("folder"))));
        assertFalse(provider.accepts(dir.resolve("missing.gguf")));
    }

    @Test
    void open_givesAGgufWeightSource() throws IOException {
        Path path = Files.write(dir.resolve("model.gguf"), Samples.sampleFile());
        try (WeightSource source = provider.open(path)) {
            assertInstanceOf(GgufFile.class, source);
            assertEquals("gguf", source.format());
            assertEquals("llama", source.metadata().string("general.architecture"));
            assertEquals(4, source.tensors().size());
        }
        Path text = Files.writeString(dir.resolve("notes.gguf"), "not a model");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> provider.open(text));
        assertEquals(text.toString(), e.source());
    }

    /** bnd writes the component description and the manifest into the classes folder. */
    private static Path classesFolder() throws URISyntaxException {
        return Path.of(GgufWeightSourceProvider.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    @Test
    void component_isRegisteredAsFormatGguf() throws Exception {
        Path xml = classesFolder().resolve("OSGI-INF/" + GgufWeightSourceProvider.class.getName() + ".xml");
        assertTrue(Files.isRegularFile(xml), xml + " is missing; bnd-process did not run");
        String description = Files.readString(xml);
        assertTrue(description.contains("<property name=\"format\" type=\"String\" value=\"gguf\"/>"), description);
        assertTrue(description.contains("<provide interface=\"" + WeightSourceProvider.class.getName() + "\"/>"), description);
    }

    @Test
    void bundle_exportsTheReaderPackageOnly() throws Exception {
        Manifest manifest;
        try (InputStream in = Files.newInputStream(classesFolder().resolve("META-INF/MANIFEST.MF"))) {
            manifest = new Manifest(in);
        }
        String exports = manifest.getMainAttributes().getValue("Export-Package");
        assertTrue(exports.startsWith("dev.petrel.loader.gguf;version=\"1.0.0\""), exports);
        assertFalse(exports.contains("provider"), exports);
        assertEquals("dev.petrel.loader.gguf", manifest.getMainAttributes().getValue("Bundle-SymbolicName"));
    }
}
