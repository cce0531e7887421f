package dev.petrel.kernels.java;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.petrel.api.kernel.BackendUnavailableException;
import dev.petrel.api.kernel.Lease;
import java.lang.reflect.Proxy;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The components as Declarative Services drives them: activated with a configuration, deactivated. */
class ComponentActivationTest {

    @Test
    void vectorBackend_takesItsThreadCountFromConfiguration() {
        long before = BackendLifecycleTest.workerThreads();
        VectorKernelBackend backend = new VectorKernelBackend();
        backend.activate(config(Map.of("threads", 3)));
        assertEquals(3, backend.device().computeUnits());
        assertEquals(before + 2, BackendLifecycleTest.workerThreads());
        backend.deactivate();
        assertEquals(before, BackendLifecycleTest.workerThreads());
    }

    @Test
    void vectorBackend_defaultsToOneThreadPerProcessor() {
        VectorKernelBackend backend = new VectorKernelBackend();
        backend.activate(config(Map.of()));
        assertEquals(Runtime.getRuntime().availableProcessors(), backend.device().computeUnits());
        assertTrue(backend.device().has("vector-api"));
        backend.deactivate();
    }

    @Test
    void deactivate_waitsTheConfiguredTimeForLeases() {
        ScalarKernelBackend backend = new ScalarKernelBackend();
        backend.activate(config(Map.of("lease_timeout_ms", 50L)));
        Lease forgotten = backend.acquire();
        long start = System.nanoTime();
        backend.deactivate();
        long waitedMillis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(waitedMillis >= 45 && waitedMillis < 2000, "waited " + waitedMillis + " ms");
        assertThrows(BackendUnavailableException.class, backend::acquire);
        forgotten.close();
    }

    /** A configuration as DS makes one: the given values, the rest the annotation's defaults. */
    private static JavaKernelConfig config(Map<String, Object> values) {
        return (JavaKernelConfig) Proxy.newProxyInstance(JavaKernelConfig.class.getClassLoader(),
                new Class<?>[] {JavaKernelConfig.class}, (proxy, method, args) -> {
                    Object value = values.get(method.getName());
                    return value != null ? value : method.getDefaultValue();
                });
    }
}
