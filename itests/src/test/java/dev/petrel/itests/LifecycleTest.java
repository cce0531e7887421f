package dev.petrel.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.petrel.api.tokenizer.TokenizerFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.junit5.context.BundleContextExtension;

/**
 * Stopping and uninstalling the Petrel bundles leaves nothing behind: no services, no
 * threads, no wiring. The api bundle is stopped but stays installed, because this test
 * bundle is itself wired to it (refreshing it would restart the test). The bundles are
 * installed again afterwards so that the framework is as it was for the other tests.
 */
@ExtendWith(BundleContextExtension.class)
class LifecycleTest {

    private static final long SETTLE_MILLIS = 5_000;
    private static final String API = "dev.petrel.api";

    @InjectBundleContext
    BundleContext context;

    @Test
    void stopAndUninstall_leavesNoServicesOrThreads() throws Exception {
        List<Bundle> petrel = petrelBundles();
        Map<String, String> locations = new HashMap<>();
        petrel.forEach(b -> locations.put(b.getSymbolicName(), b.getLocation()));

        // Baseline: the framework without Petrel running.
        stop(petrel);
        Set<Thread> baseline = Thread.getAllStackTraces().keySet();

        // Start again and use the services so that every lazy component activates.
        for (Bundle b : petrel) {
            b.start();
        }
        ServiceReference<TokenizerFactory> ref = awaitService(TokenizerFactory.class);
        TokenizerFactory factory = context.getService(ref);
        assertEquals(new int[] {9906, 1917}.length,
                factory.fromHuggingFace(TestData.root().resolve("tokenizers/hf-llama3")).encode("Hello world").length);
        context.ungetService(ref);
        assertTrue(petrel.stream().anyMatch(b -> b.getRegisteredServices() != null), "no Petrel services were registered");

        try {
            stop(petrel);
            for (Bundle b : petrel) {
                assertNull(b.getRegisteredServices(), b.getSymbolicName() + " still has registered services after stop");
            }
            List<Bundle> implementations = petrel.stream().filter(b -> !b.getSymbolicName().equals(API)).toList();
            for (Bundle b : implementations) {
                b.uninstall();
            }
            refresh(implementations);

            assertNull(context.getServiceReferences((String) null, "(objectClass=dev.petrel.*)"),
                    "services of Petrel types are still registered");
            assertEquals(List.of(API), petrelBundles().stream().map(Bundle::getSymbolicName).toList(),
                    "Petrel bundles are still installed");
            List<String> leaked = leakedThreads(baseline);
            assertTrue(leaked.isEmpty(), "threads left behind: " + leaked);
        } finally {
            reinstall(locations);
        }
    }

    private List<Bundle> petrelBundles() {
        return Arrays.stream(context.getBundles())
                .filter(b -> b.getSymbolicName() != null && b.getSymbolicName().startsWith("dev.petrel."))
                .toList();
    }

    private static void stop(List<Bundle> bundles) throws Exception {
        for (Bundle b : bundles.reversed()) {
            b.stop();
        }
    }

    private <T> ServiceReference<T> awaitService(Class<T> type) throws InterruptedException {
        long deadline = System.currentTimeMillis() + SETTLE_MILLIS;
        ServiceReference<T> ref;
        while ((ref = context.getServiceReference(type)) == null && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        assertNotNull(ref, type.getName() + " did not come back after restart");
        return ref;
    }

    private void refresh(List<Bundle> bundles) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        context.getBundle(0).adapt(FrameworkWiring.class).refreshBundles(bundles, event -> {
            if (event.getType() == FrameworkEvent.PACKAGES_REFRESHED) {
                done.countDown();
            }
        });
        assertTrue(done.await(30, TimeUnit.SECONDS), "package refresh did not finish");
    }

    /** Threads alive now that were not alive before Petrel started, ignoring the JVM's own pools. */
    private static List<String> leakedThreads(Set<Thread> baseline) throws InterruptedException {
        long deadline = System.currentTimeMillis() + SETTLE_MILLIS;
        List<String> leaked;
        do {
            leaked = new ArrayList<>();
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                if (t.isAlive() && !baseline.contains(t) && !isJvmThread(t)) {
                    leaked.add(t.getName());
                }
            }
            if (leaked.isEmpty()) {
                return leaked;
            }
            Thread.sleep(50);
        } while (System.currentTimeMillis() < deadline);
        return leaked;
    }

    private static boolean isJvmThread(Thread t) {
        String name = t.getName();
        return name.startsWith("ForkJoinPool.commonPool") || name.equals("Common-Cleaner")
                || name.equals("Attach Listener") || name.startsWith("process reaper");
    }

    private void reinstall(Map<String, String> locations) throws Exception {
        List<Bundle> toStart = new ArrayList<>();
        for (String location : locations.values()) {
            Bundle b = context.getBundle(location);
            toStart.add(b != null ? b : context.installBundle(location));
        }
        for (Bundle b : toStart) {
            b.start();
        }
        String missing = locations.keySet().stream()
                .filter(bsn -> petrelBundles().stream().noneMatch(b -> b.getSymbolicName().equals(bsn)
                        && b.getState() == Bundle.ACTIVE))
                .collect(Collectors.joining(", "));
        assertTrue(missing.isEmpty(), "could not restore " + missing);
    }
}
