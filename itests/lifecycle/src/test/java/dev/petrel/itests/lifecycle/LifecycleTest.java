package dev.petrel.itests.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
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
 * Stopping and uninstalling every Petrel bundle leaves nothing behind: no services, no
 * threads (the Vector API backend runs a worker pool), no bundles. This test bundle uses no
 * Petrel package — services are looked up by name — so that refreshing the uninstalled
 * bundles cannot restart the test itself.
 */
@ExtendWith(BundleContextExtension.class)
class LifecycleTest {

    private static final long SETTLE_MILLIS = 5_000;

    /** Services whose use activates every lazy component that starts threads or holds memory. */
    private static final List<String> SERVICES_TO_ACTIVATE = List.of(
            "dev.petrel.api.kernel.KernelBackend",
            "dev.petrel.api.engine.Engine",
            "dev.petrel.api.tokenizer.TokenizerFactory",
            "dev.petrel.api.engine.ChatTemplate");

    @InjectBundleContext
    BundleContext context;

    @Test
    void stopAndUninstall_leavesNoServicesThreadsOrBundles() throws Exception {
        List<Bundle> petrel = petrelBundles();
        assertEquals(14, petrel.size(), "Petrel bundles installed: " + names(petrel));

        // Baseline: the framework without Petrel running.
        stop(petrel);
        Set<Thread> baseline = Thread.getAllStackTraces().keySet();

        for (Bundle b : petrel) {
            b.start();
        }
        for (String service : SERVICES_TO_ACTIVATE) {
            ServiceReference<?>[] refs = awaitServices(service);
            for (ServiceReference<?> ref : refs) {
                assertTrue(context.getService(ref) != null, service + " could not be activated");
                context.ungetService(ref);
            }
        }

        stop(petrel);
        for (Bundle b : petrel) {
            assertNull(b.getRegisteredServices(), b.getSymbolicName() + " still has registered services after stop");
        }
        for (Bundle b : petrel) {
            b.uninstall();
        }
        refresh(petrel);

        assertTrue(petrelBundles().isEmpty(), "Petrel bundles are still installed: " + names(petrelBundles()));
        assertNull(context.getServiceReferences((String) null, "(objectClass=dev.petrel.*)"),
                "services of Petrel types are still registered");
        List<String> leaked = leakedThreads(baseline);
        assertTrue(leaked.isEmpty(), "threads left behind: " + leaked);
    }

    private List<Bundle> petrelBundles() {
        return Arrays.stream(context.getBundles())
                .filter(b -> b.getSymbolicName() != null && b.getSymbolicName().startsWith("dev.petrel."))
                .toList();
    }

    private static List<String> names(List<Bundle> bundles) {
        return bundles.stream().map(Bundle::getSymbolicName).sorted().toList();
    }

    private static void stop(List<Bundle> bundles) throws Exception {
        for (Bundle b : bundles.reversed()) {
            b.stop();
        }
    }

    private ServiceReference<?>[] awaitServices(String type) throws Exception {
        long deadline = System.currentTimeMillis() + SETTLE_MILLIS;
        ServiceReference<?>[] refs;
        while ((refs = context.getServiceReferences(type, null)) == null && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(refs != null, type + " did not come back after restart");
        return refs;
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

    /** Threads alive now that were not alive before Petrel started, ignoring the JVM's own. */
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
}
