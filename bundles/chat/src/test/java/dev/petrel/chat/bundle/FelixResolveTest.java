package dev.petrel.chat.bundle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.File;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;

/**
 * Starts Apache Felix with SCR, Petrel's api and this bundle as bnd made it (exploded in
 * target/classes, embedded jars included), and renders a template through the registered
 * ChatTemplate service: the embedded Jinjava loads and runs inside the framework.
 */
class FelixResolveTest {

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void bundle_resolvesInFelixAndRendersThroughTheService(@TempDir Path storage) throws Exception {
        Map<String, String> config = new HashMap<>();
        config.put(Constants.FRAMEWORK_STORAGE, storage.toString());
        config.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        Framework framework = ServiceLoader.load(FrameworkFactory.class).findFirst().orElseThrow()
                .newFramework(config);
        framework.start();
        try {
            BundleContext context = framework.getBundleContext();
            List<Bundle> bundles = new ArrayList<>();
            for (String name : List.of("org.osgi.util.function", "org.osgi.util.promise",
                    "org.osgi.service.component-", "org.apache.felix.scr", "petrel-api")) {
                bundles.add(context.installBundle(location(classPathEntry(name))));
            }
            Bundle chat = context.installBundle(location(BundleManifestTest.classes()));
            bundles.add(chat);
            for (Bundle b : bundles) {
                b.start();
            }
            assertEquals(Bundle.ACTIVE, chat.getState(), "dev.petrel.chat did not start");

            ServiceReference<?> ref = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (ref == null && System.nanoTime() < deadline) {
                // all references: the test's own class path also holds the api classes, so the
                // system bundle would not count the service as assignable to it
                ServiceReference<?>[] refs = context.getAllServiceReferences("dev.petrel.api.engine.ChatTemplate", null);
                ref = refs == null ? null : refs[0];
                if (ref == null) {
                    Thread.sleep(20);
                }
            }
            assertNotNull(ref, "no ChatTemplate service from dev.petrel.chat");
            assertEquals(chat, ref.getBundle());
            Object service = context.getService(ref);

            Bundle api = bundles.get(bundles.size() - 2);
            Class<?> messageType = api.loadClass("dev.petrel.api.engine.ChatMessage");
            Object user = messageType.getMethod("user", String.class).invoke(null, "Hi");
            Class<?> templateType = api.loadClass("dev.petrel.api.engine.ChatTemplate");
            Method render = templateType.getMethod("render", String.class, List.class, boolean.class, Map.class);
            String template = "{% for m in messages[::-1] %}{{ bos_token }}[{{ m.role.upper() }}] "
                    + "{{ m.content.strip() }}{% endfor %}{% if add_generation_prompt %}>{% endif %}";
            Object rendered = render.invoke(service, template, List.of(user), true, Map.of("bos_token", "<s>"));
            assertEquals("<s>[USER] Hi>", rendered);
            context.ungetService(ref);
        } finally {
            framework.stop();
            framework.waitForStop(10_000);
        }
    }

    private static String location(Path path) {
        return Files.isDirectory(path) ? "reference:" + path.toUri() : path.toUri().toString();
    }

    /** A jar (or class folder) of the test class path whose path contains {@code name}. */
    private static Path classPathEntry(String name) {
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path path = Path.of(entry);
            String text = path.toString().replace('\\', '/');
            boolean match = name.equals("petrel-api")
                    ? text.contains("/petrel-api") || text.contains("/bundles/api/target/classes")
                    : path.getFileName().toString().startsWith(name);
            if (match) {
                return path;
            }
        }
        throw new IllegalStateException("not on the test class path: " + name);
    }
}
