package dev.petrel.tokenizer;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;

/** What bnd generated for the bundle: the factory component and no exported packages. */
class BundleMetadataTest {

    private static final Path CLASSES = Path.of("target/classes");

    @Test
    void component_providesTheTokenizerFactoryService() throws IOException {
        Path xml = CLASSES.resolve("OSGI-INF/" + PetrelTokenizerFactory.class.getName() + ".xml");
        assertTrue(Files.exists(xml), "bnd wrote no component description at " + xml);
        String description = Files.readString(xml);
        assertTrue(description.contains("interface=\"dev.petrel.api.tokenizer.TokenizerFactory\""), description);
    }

    @Test
    void manifest_exportsNoPackage() throws IOException {
        try (InputStream in = Files.newInputStream(CLASSES.resolve("META-INF/MANIFEST.MF"))) {
            Manifest manifest = new Manifest(in);
            assertNull(manifest.getMainAttributes().getValue("Export-Package"));
            assertTrue(manifest.getMainAttributes().getValue("Service-Component").contains("PetrelTokenizerFactory"));
        }
    }
}
