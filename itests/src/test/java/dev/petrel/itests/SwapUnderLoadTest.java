package dev.petrel.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.petrel.api.engine.Engine;
import dev.petrel.api.engine.GenerationRequest;
import dev.petrel.api.engine.LoadOptions;
import dev.petrel.api.engine.Model;
import dev.petrel.api.engine.SamplerSettings;
import dev.petrel.api.engine.Session;
import dev.petrel.api.kernel.BufferUsage;
import dev.petrel.api.kernel.KernelBackend;
import dev.petrel.api.weights.TensorType;
import dev.petrel.conformance.Arch;
import dev.petrel.conformance.ModelSpec;
import dev.petrel.conformance.RandomModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.context.BundleContextExtension;
import org.osgi.test.junit5.service.ServiceExtension;

/**
 * Hot swap under load: eight sessions generate greedily without pause while the kernel
 * backends are swapped more than 200 times, by stopping and starting their bundles, updating
 * them, changing their ranking and pinning one through configuration. No request may fail and
 * every generation must give the tokens of a run without swaps. Then both backend bundles are
 * uninstalled: no kernel thread and no byte of tensor memory may be left.
 *
 * <p>The pair is honest: the Vector API backend ({@code dev.petrel.kernels.java}) and the scalar
 * reference ({@code dev.petrel.kernels.java.scalar}) live in bundles of their own, so stopping
 * one leaves the other to take over, and their kernels differ (vector lanes and worker threads
 * against plain loops).
 */
@ExtendWith({BundleContextExtension.class, ServiceExtension.class})
class SwapUnderLoadTest {

    static final String VECTOR_BUNDLE = "dev.petrel.kernels.java";
    static final String SCALAR_BUNDLE = "dev.petrel.kernels.java.scalar";
    static final String SCALAR_PID = "dev.petrel.kernels.java.scalar";
    static final String ENGINE_PID = "dev.petrel.engine";
    static final int SESSIONS = 8;
    static final int MIN_SWAPS = 200;
    static final int PROMPT = 12;
    static final int GENERATED = 24;
    static final long WAIT_MS = 20_000;

    @InjectBundleContext
    BundleContext context;

    @Test
    void eightSessions_twoHundredSwaps_sameTokensAndNothingLeft(
            @InjectService Engine engine,
            @InjectService ConfigurationAdmin configurations) throws Exception {
        Path dir = Files.createTempDirectory("petrel-swap");
        Path file = RandomModels.write(ModelSpec.of(Arch.LLAMA).withType(TensorType.Q8_0), dir.resolve("swap.gguf"));
        Bundle vector = bundle(VECTOR_BUNDLE);
        Bundle scalar = bundle(SCALAR_BUNDLE);
        String vectorLocation = vector.getLocation();
        String scalarLocation = scalar.getLocation();
        awaitRegistered("java");
        awaitRegistered("java-scalar");
        Model model = engine.load(file, new LoadOptions(PROMPT + GENERATED + 8, TensorType.F16, null));
        try {
            awaitBackend(model, "java");
            int[][] prompts = new int[SESSIONS][];
            int[][] expected = new int[SESSIONS][];
            for (int i = 0; i < SESSIONS; i++) {
                prompts[i] = new SplittableRandom(100 + i).ints(PROMPT, 3, model.vocabularySize()).toArray();
                try (Session s = model.openSession()) {
                    expected[i] = s.generate(greedy(prompts[i])).ids();
                }
            }

            Swaps swaps = new Swaps(model, configurations);
            Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
            AtomicBoolean done = new AtomicBoolean();
            AtomicInteger checked = new AtomicInteger();
            List<Thread> workers = new ArrayList<>();
            for (int i = 0; i < SESSIONS; i++) {
                int index = i;
                Thread worker = new Thread(() -> {
                    try {
                        while (!done.get()) {
                            try (Session s = model.openSession()) {
                                int[] ids = s.generate(greedy(prompts[index])).ids();
                                if (!Arrays.equals(expected[index], ids)) {
                                    throw new AssertionError("session " + index + " on '" + model.backend()
                                            + "': " + Arrays.toString(ids) + ", without swaps "
                                            + Arrays.toString(expected[index]));
                                }
                                checked.incrementAndGet();
                            }
                        }
                    } catch (Throwable t) {
                        failures.add(t);
                    }
                }, "swap-load-" + i);
                worker.start();
                workers.add(worker);
            }
            try {
                while (swaps.count < MIN_SWAPS && failures.isEmpty()) {
                    // the bound backend leaves and comes back
                    swaps.timed("stop/start", () -> {
                        vector.stop();
                        swaps.expect("java-scalar");
                        vector.start();
                        swaps.expect("java");
                    });
                    // updated while bound: off to the scalar one and back to a new instance
                    swaps.timed("update", () -> {
                        KernelBackend before = swaps.bound("java");
                        vector.update();
                        swaps.expectThrough(before, "java");
                    });
                    // the other one leaves and comes back: no swap, the engine keeps java
                    swaps.timed("stop/start unbound", () -> {
                        scalar.stop();
                        scalar.start();
                        awaitRegistered("java-scalar");
                        assertEquals("java", model.backend());
                    });
                    // ranking through configuration: the scalar backend outranks java, then not
                    swaps.timed("ranking", () -> {
                        swaps.scalarRanking(200);
                        swaps.expect("java-scalar");
                    });
                    swaps.timed("update", () -> {
                        KernelBackend before = swaps.bound("java-scalar");
                        scalar.update();
                        swaps.expectThrough(before, "java-scalar");
                    });
                    swaps.timed("ranking", () -> {
                        swaps.scalarRanking(10);
                        swaps.expect("java");
                    });
                    // pinned through configuration, then unpinned
                    swaps.timed("pin", () -> {
                        swaps.pin("(kernel=java-scalar)");
                        swaps.expect("java-scalar");
                        swaps.pin(null);
                        swaps.expect("java");
                    });
                }
            } finally {
                done.set(true);
                for (Thread worker : workers) {
                    worker.join(TimeUnit.SECONDS.toMillis(60));
                }
            }
            if (!failures.isEmpty()) {
                AssertionError error = new AssertionError(failures.size() + " requests failed during "
                        + swaps.count + " swaps; the first: " + failures.peek(), failures.peek());
                failures.stream().skip(1).limit(3).forEach(error::addSuppressed);
                throw error;
            }
            assertTrue(swaps.count >= MIN_SWAPS, swaps.count + " swaps");
            assertTrue(checked.get() >= SESSIONS, "only " + checked.get() + " generations checked");
            System.out.printf("swap under load: %d swaps, %d generations of %d tokens checked in %d sessions; "
                    + "seconds per kind of change: %s%n", swaps.count, checked.get(), GENERATED, SESSIONS, swaps.seconds);

            // Uninstalled, the backends leave nothing: no tensor memory, no kernel thread. The
            // model stays loaded: each backend frees its weights itself.
            KernelBackend vectorInstance = swaps.bound("java");
            vector.uninstall();
            swaps.expect("java-scalar");
            KernelBackend scalarInstance = swaps.bound("java-scalar");
            scalar.uninstall();
            for (KernelBackend backend : List.of(vectorInstance, scalarInstance)) {
                for (BufferUsage usage : BufferUsage.values()) {
                    assertEquals(0, backend.allocatedBytes(usage), backend.name() + " still holds " + usage);
                }
                assertEquals(0, backend.openLeases(), backend.name() + " leases");
            }
            assertTrue(await(() -> kernelThreads().isEmpty(), WAIT_MS),
                    "kernel threads left after uninstalling the backends: " + kernelThreads());
            assertTrue(context.getServiceReferences(KernelBackend.class, "(kernel=java*)").isEmpty(),
                    "Java backends still registered");
        } finally {
            model.close();
            reinstall(vectorLocation);
            reinstall(scalarLocation);
        }
        awaitRegistered("java");
        awaitRegistered("java-scalar");
    }

    private interface Change {
        void run() throws Exception;
    }

    private static GenerationRequest greedy(int[] prompt) {
        return new GenerationRequest(prompt, SamplerSettings.GREEDY, GENERATED, List.of(), true);
    }

    /** Counts the model's moves and waits for each. */
    private final class Swaps {
        private final Model model;
        private final ConfigurationAdmin configurations;
        final Map<String, String> seconds = new java.util.TreeMap<>();
        private final Map<String, Long> nanos = new java.util.TreeMap<>();
        int count;

        /** Runs one kind of change and adds up its time, for the summary. */
        void timed(String kind, Change change) throws Exception {
            long start = System.nanoTime();
            change.run();
            nanos.merge(kind, System.nanoTime() - start, Long::sum);
            seconds.put(kind, String.format("%.1f", nanos.get(kind) / 1e9));
        }

        Swaps(Model model, ConfigurationAdmin configurations) {
            this.model = model;
            this.configurations = configurations;
        }

        /** Waits for the model to be on {@code name}: one swap. */
        void expect(String name) throws Exception {
            awaitBackend(model, name);
            count++;
        }

        /**
         * Waits for the model to be on {@code name} again after {@code departed} (the instance it
         * was on) left: two swaps, off it and onto the new instance, the first proved by the
         * departed instance having freed its weights (it frees only once no session uses it).
         */
        void expectThrough(KernelBackend departed, String name) throws Exception {
            awaitBackend(model, name);
            assertTrue(bound(name) != departed, "still on the departed instance of " + name);
            assertTrue(await(() -> departed.allocatedBytes(BufferUsage.WEIGHTS) == 0, WAIT_MS),
                    "the departed " + name + " instance still holds weights");
            count += 2;
        }

        /** The instance of the backend the engine uses now (the engine keeps it active). */
        KernelBackend bound(String name) throws Exception {
            ServiceReference<KernelBackend> ref = context.getServiceReferences(KernelBackend.class,
                    "(kernel=" + name + ")").iterator().next();
            return context.getService(ref);
        }

        void scalarRanking(int ranking) throws Exception {
            Configuration c = configurations.getConfiguration(SCALAR_PID, "?");
            Dictionary<String, Object> p = c.getProperties() == null ? new Hashtable<>() : c.getProperties();
            p.put("service.ranking", ranking);
            c.update(p);
        }

        void pin(String target) throws Exception {
            Configuration c = configurations.getConfiguration(ENGINE_PID, "?");
            Dictionary<String, Object> p = c.getProperties() == null ? new Hashtable<>() : c.getProperties();
            if (target == null) {
                p.remove("backend.target");
            } else {
                p.put("backend.target", target);
            }
            c.update(p);
        }
    }

    private void awaitBackend(Model model, String name) throws Exception {
        if (!await(() -> model.backend().equals(name), WAIT_MS)) {
            throw new AssertionError("the model did not move to '" + name + "' within " + WAIT_MS + " ms; it is on '"
                    + model.backend() + "'; registered: " + context.getServiceReferences(KernelBackend.class, null)
                    .stream().map(r -> r.getProperty(KernelBackend.KERNEL) + " ranking "
                            + r.getProperty("service.ranking")).toList());
        }
    }

    private void awaitRegistered(String kernel) throws Exception {
        if (!await(() -> {
            try {
                return !context.getServiceReferences(KernelBackend.class, "(kernel=" + kernel + ")").isEmpty();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, WAIT_MS)) {
            throw new AssertionError("backend '" + kernel + "' was not registered within " + WAIT_MS + " ms");
        }
    }

    private static boolean await(BooleanSupplier condition, long millis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(2);
        }
        return true;
    }

    private static List<String> kernelThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive)
                .map(Thread::getName)
                .filter(n -> n.startsWith("petrel-kernels"))
                .toList();
    }

    private Bundle bundle(String symbolicName) {
        return Arrays.stream(context.getBundles()).filter(b -> b.getSymbolicName().equals(symbolicName)).findFirst()
                .orElseThrow(() -> new AssertionError("no bundle " + symbolicName));
    }

    /**
     * Installs a backend bundle again for the tests that follow, through the test bundle's own
     * context: bundles installed through the injected one are uninstalled after this test.
     */
    private void reinstall(String location) throws Exception {
        BundleContext own = FrameworkUtil.getBundle(SwapUnderLoadTest.class).getBundleContext();
        Bundle b = own.getBundle(location);
        if (b == null) {
            b = own.installBundle(location);
        }
        b.start();
    }
}
