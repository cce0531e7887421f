package dev.petrel.sample.embed;

import dev.petrel.api.PetrelException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;
import org.osgi.util.tracker.ServiceTracker;

/**
 * Petrel inside a plain Java application: starts an OSGi framework (whichever
 * {@link FrameworkFactory} is on the class path; Felix here), installs the bundles of the
 * given features and hands out their services.
 *
 * <p>The host and the bundles must see the same api classes, so the host keeps the api
 * jar on its own class path and exports its packages through the system bundle; the api
 * bundle of a feature is therefore not installed.
 */
public final class EmbeddedPetrel implements AutoCloseable {

    private final Framework framework;

    private EmbeddedPetrel(Framework framework) {
        this.framework = framework;
    }

    /** Starts a framework with its storage in {@code storage} and the features' bundles active. */
    public static EmbeddedPetrel start(Path storage, BundleRepository repository, List<Feature> features)
            throws IOException, BundleException {
        Manifest api = apiManifest();
        String apiName = api.getMainAttributes().getValue(Constants.BUNDLE_SYMBOLICNAME);
        List<String> extraPackages = new ArrayList<>();
        extraPackages.add(api.getMainAttributes().getValue(Constants.EXPORT_PACKAGE));

        Map<String, String> config = new HashMap<>();
        for (Feature feature : features) {
            feature.frameworkProperties().forEach((key, value) -> {
                if (key.equals(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA)) {
                    extraPackages.add(value);
                } else {
                    config.put(key, value);
                }
            });
        }
        config.put(Constants.FRAMEWORK_STORAGE, storage.toAbsolutePath().toString());
        config.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        config.put(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, String.join(",", extraPackages));

        FrameworkFactory factory = ServiceLoader.load(FrameworkFactory.class).findFirst()
                .orElseThrow(() -> new IllegalStateException("no OSGi framework on the class path"));
        Framework framework = factory.newFramework(config);
        framework.start();
        try {
            BundleContext context = framework.getBundleContext();
            List<Bundle> installed = new ArrayList<>();
            for (Feature feature : features) {
                for (String id : feature.bundles()) {
                    Path jar = repository.locate(id);
                    if (!apiName.equals(symbolicName(jar))) {
                        installed.add(context.installBundle(jar.toUri().toString()));
                    }
                }
            }
            for (Bundle bundle : installed) {
                if (bundle.getHeaders().get(Constants.FRAGMENT_HOST) == null) {
                    bundle.start();
                }
            }
            return new EmbeddedPetrel(framework);
        } catch (IOException | BundleException | RuntimeException e) {
            stop(framework);
            throw e;
        }
    }

    /** The highest-ranked service of a type (matching an optional filter), waiting for it to arrive. */
    public <T> T service(Class<T> type, String filter, Duration timeout) throws InterruptedException {
        BundleContext context = framework.getBundleContext();
        String objectClass = "(objectClass=" + type.getName() + ")";
        ServiceTracker<T, T> tracker;
        try {
            tracker = new ServiceTracker<>(context,
                    context.createFilter(filter == null ? objectClass : "(&" + objectClass + filter + ")"), null);
        } catch (InvalidSyntaxException e) {
            throw new IllegalArgumentException("bad service filter " + filter, e);
        }
        tracker.open();
        T service = tracker.waitForService(timeout.toMillis());
        if (service == null) {
            tracker.close();
            throw new PetrelException("no " + type.getSimpleName() + (filter == null ? "" : " " + filter)
                    + " service within " + timeout.toSeconds() + " s");
        }
        // The tracker stays open while the framework runs: closing it would release the service.
        return service;
    }

    public BundleContext context() {
        return framework.getBundleContext();
    }

    /** Stops the framework and waits for it to finish. */
    @Override
    public void close() {
        stop(framework);
    }

    private static void stop(Framework framework) {
        try {
            framework.stop();
            FrameworkEvent event = framework.waitForStop(Duration.ofSeconds(30).toMillis());
            if (event.getType() == FrameworkEvent.WAIT_TIMEDOUT) {
                throw new IllegalStateException("framework did not stop within 30 s");
            }
        } catch (BundleException e) {
            throw new IllegalStateException("could not stop the framework", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The manifest of the api bundle on the host's class path (a jar, or a classes folder in a build). */
    private static Manifest apiManifest() throws IOException {
        Path location;
        try {
            location = Path.of(PetrelException.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IOException("cannot locate the api classes", e);
        }
        if (Files.isDirectory(location)) {
            try (InputStream in = Files.newInputStream(location.resolve("META-INF/MANIFEST.MF"))) {
                return new Manifest(in);
            }
        }
        try (JarFile jar = new JarFile(location.toFile())) {
            return jar.getManifest();
        }
    }

    private static String symbolicName(Path jar) throws IOException {
        try (JarFile file = new JarFile(jar.toFile())) {
            Manifest manifest = file.getManifest();
            String name = manifest == null ? null : manifest.getMainAttributes().getValue(Constants.BUNDLE_SYMBOLICNAME);
            return name == null ? "" : name.split(";")[0].trim();
        }
    }
}
