package dev.petrel.models.bundle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;

/** The manifest bnd generated: the api package exported, nothing imported but the JDK and Petrel's api. */
class BundleManifestTest {

    private static Attributes manifest() throws IOException {
        Path file = Path.of("target", "classes", "META-INF", "MANIFEST.MF");
        assertTrue(Files.isRegularFile(file), "bnd has not written " + file.toAbsolutePath());
        try (InputStream in = Files.newInputStream(file)) {
            return new Manifest(in).getMainAttributes();
        }
    }

    @Test
    void manifest_exportsTheApiAndImportsOnlyJdkAndPetrel() throws IOException {
        Attributes main = manifest();
        assertEquals("dev.petrel.models", main.getValue("Bundle-SymbolicName"));
        assertTrue(main.getValue("Export-Package").startsWith("dev.petrel.models;version=\"1.0.0\""),
                main.getValue("Export-Package"));
        List<String> unexpected = new ArrayList<>();
        for (String clause : main.getValue("Import-Package").split(",(?=[a-z])")) {
            String pkg = clause.split(";", 2)[0];
            if (!pkg.startsWith("java.") && !pkg.equals("dev.petrel.api") && !pkg.equals("dev.petrel.models")) {
                unexpected.add(clause);
            }
        }
        assertEquals(List.of(), unexpected);
        assertTrue(main.getValue("Provide-Capability").contains("dev.petrel.models.ModelResolver"));
    }
}
