package dev.petrel.chat.bundle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;

/**
 * The manifest bnd generated for this bundle (target/classes/META-INF/MANIFEST.MF) asks the
 * framework only for what a Felix on a plain JDK has: packages of the java.* modules (which
 * the system bundle exports) and Petrel's api. Whatever the embedded libraries reference
 * beyond that must be optional.
 */
class BundleManifestTest {

    static Path classes() {
        Path dir = Path.of("target", "classes").toAbsolutePath();
        assertTrue(Files.isRegularFile(dir.resolve("META-INF/MANIFEST.MF")),
                "bnd has not written " + dir.resolve("META-INF/MANIFEST.MF"));
        return dir;
    }

    static Manifest manifest() throws IOException {
        try (InputStream in = Files.newInputStream(classes().resolve("META-INF/MANIFEST.MF"))) {
            return new Manifest(in);
        }
    }

    /** Splits a manifest header into clauses at the commas outside quotes. */
    static List<String> clauses(String header) {
        List<String> out = new ArrayList<>();
        if (header == null) {
            return out;
        }
        boolean quoted = false;
        int start = 0;
        for (int i = 0; i < header.length(); i++) {
            char c = header.charAt(i);
            if (c == '"') {
                quoted = !quoted;
            } else if (c == ',' && !quoted) {
                out.add(header.substring(start, i).strip());
                start = i + 1;
            }
        }
        out.add(header.substring(start).strip());
        return out;
    }

    /** Packages that java.* modules of this JDK export to everyone. */
    private static Set<String> jdkPackages() {
        Set<String> packages = new HashSet<>();
        for (Module module : ModuleLayer.boot().modules()) {
            if (module.getName().startsWith("java.")) {
                for (ModuleDescriptor.Exports e : module.getDescriptor().exports()) {
                    if (!e.isQualified()) {
                        packages.add(e.source());
                    }
                }
            }
        }
        return packages;
    }

    @Test
    void manifest_importsOnlyJdkAndApiPackagesUnlessOptional() throws IOException {
        Set<String> jdk = jdkPackages();
        List<String> unexpected = new ArrayList<>();
        List<String> imports = clauses(manifest().getMainAttributes().getValue("Import-Package"));
        for (String clause : imports) {
            String pkg = clause.split(";", 2)[0].strip();
            boolean optional = clause.contains("resolution:=optional");
            boolean available = pkg.startsWith("java.") || jdk.contains(pkg)
                    || pkg.equals("dev.petrel.api") || pkg.startsWith("dev.petrel.api.");
            if (!optional && !available) {
                unexpected.add(clause);
            }
        }
        assertEquals(List.of(), unexpected, "imports that a plain Felix cannot satisfy");
        assertTrue(imports.stream().anyMatch(c -> c.startsWith("dev.petrel.api.engine;")), imports.toString());
    }

    @Test
    void manifest_bundleClassPathJarsAreInsideAndJinjavaIsNotImported() throws IOException {
        var main = manifest().getMainAttributes();
        List<String> classPath = clauses(main.getValue("Bundle-ClassPath"));
        assertEquals(".", classPath.get(0));
        assertTrue(classPath.contains("lib/jinjava.jar"), classPath.toString());
        for (String entry : classPath.subList(1, classPath.size())) {
            assertTrue(Files.isRegularFile(classes().resolve(entry)), "missing embedded " + entry);
        }
        String imports = main.getValue("Import-Package");
        for (String embedded : List.of("com.hubspot.jinjava", "com.google.common.", "com.fasterxml.jackson",
                "org.slf4j", "org.apache.commons", "javassist")) {
            assertTrue(!imports.contains(embedded), "embedded package imported: " + embedded);
        }
        assertEquals("dev.petrel.chat", main.getValue("Bundle-SymbolicName"));
        assertEquals(List.of("dev.petrel.chat;version=\"1.0.0\""), clauses(main.getValue("Export-Package")));
    }
}
