package dev.petrel.kernels.java;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.petrel.api.kernel.BackendUnavailableException;
import dev.petrel.api.kernel.BufferUsage;
import dev.petrel.api.kernel.ComputeStream;
import dev.petrel.api.kernel.Lease;
import dev.petrel.api.kernel.Tensor;
import dev.petrel.api.weights.TensorType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Leases, the bounded drain on shutdown, freeing, and what a departed backend answers. */
class BackendLifecycleTest {

    @Test
    void acquire_isRefusedOnceShutdownBegins() throws Exception {
        VectorKernelBackend backend = VectorKernelBackend.standalone(1);
        Lease lease = backend.acquire();
        CompletableFuture<Void> shutdown = CompletableFuture.runAsync(() -> backend.shutdown(Duration.ofSeconds(10)));
        waitUntil(() -> {
            try {
                backend.acquire().close();
                return false;
            } catch (BackendUnavailableException e) {
                return true;
            }
        });
        assertEquals(1, backend.openLeases());
        lease.close();
        shutdown.get(10, TimeUnit.SECONDS);
        assertEquals(0, backend.openLeases());
    }

    @Test
    void shutdown_waitsForOpenLeasesBeforeFreeing() throws Exception {
        ScalarKernelBackend backend = ScalarKernelBackend.standalone();
        Tensor tensor = backend.allocate("x", BufferUsage.COMPUTE, TensorType.F32, 16);
        Lease lease = backend.acquire();
        CompletableFuture<Void> shutdown = CompletableFuture.runAsync(() -> backend.shutdown(Duration.ofSeconds(10)));
        Thread.sleep(150);
        assertTrue(!shutdown.isDone(), "shutdown returned while a lease was open");
        try (ComputeStream stream = backend.openStream()) {
            // Work under a lease still runs while the backend drains.
            stream.scale(tensor, 2f, tensor);
        }
        lease.close();
        shutdown.get(10, TimeUnit.SECONDS);
        assertEquals(0, backend.allocatedBytes(BufferUsage.COMPUTE));
    }

    @Test
    void shutdown_freesAfterTheBoundedWaitWhenALeaseStaysOpen() {
        ScalarKernelBackend backend = ScalarKernelBackend.standalone();
        backend.allocate("x", BufferUsage.CACHE, TensorType.F16, 64, 2);
        backend.acquire();
        long start = System.nanoTime();
        backend.shutdown(Duration.ofMillis(100));
        long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(waited >= 90 && waited < 5000, "waited " + waited + " ms");
        assertEquals(0, backend.allocatedBytes(BufferUsage.CACHE));
    }

    @Test
    void everything_throwsBackendUnavailableAfterShutdown() {
        VectorKernelBackend backend = VectorKernelBackend.standalone(2);
        Tensor tensor = backend.allocate("x", BufferUsage.COMPUTE, TensorType.F32, 8);
        ComputeStream stream = backend.openStream();
        backend.shutdown(Duration.ZERO);
        assertThrows(BackendUnavailableException.class, () -> stream.scale(tensor, 2f, tensor));
        assertThrows(BackendUnavailableException.class, () -> stream.readFloats(tensor));
        assertThrows(BackendUnavailableException.class, () -> tensor.slice(0, 1));
        assertThrows(BackendUnavailableException.class, backend::openStream);
        assertThrows(BackendUnavailableException.class, backend::acquire);
        assertThrows(BackendUnavailableException.class,
                () -> backend.allocate("y", BufferUsage.COMPUTE, TensorType.F32, 8));
        stream.close();
        tensor.close();
    }

    @Test
    void allocatedBytes_countsEachUsageAndReturnsToZero() {
        VectorKernelBackend backend = VectorKernelBackend.standalone(1);
        try (Arena arena = Arena.ofConfined()) {
            Tensor compute = backend.allocate("c", BufferUsage.COMPUTE, TensorType.F32, 100, 3);
            Tensor cache = backend.allocate("k", BufferUsage.CACHE, TensorType.F16, 64, 4, 10);
            Tensor weight = backend.uploadWeights("w", TensorType.F32, new long[] {8, 2}, arena.allocate(64));
            assertEquals(1200, backend.allocatedBytes(BufferUsage.COMPUTE));
            assertEquals(64 * 4 * 10 * 2, backend.allocatedBytes(BufferUsage.CACHE));
            assertEquals(64, backend.allocatedBytes(BufferUsage.WEIGHTS));
            ComputeStream stream = backend.openStream();
            stream.scratch("tmp", TensorType.F32, 1000);
            assertTrue(backend.allocatedBytes(BufferUsage.COMPUTE) > 1200);
            stream.close();
            compute.close();
            cache.close();
            weight.close();
            compute.close(); // closing twice does nothing
            for (BufferUsage usage : BufferUsage.values()) {
                assertEquals(0, backend.allocatedBytes(usage), usage.name());
            }
        } finally {
            backend.shutdown(Duration.ZERO);
        }
    }

    @Test
    void lease_closedTwiceReleasesOnce() {
        ScalarKernelBackend backend = ScalarKernelBackend.standalone();
        Lease first = backend.acquire();
        Lease second = backend.acquire();
        first.close();
        first.close();
        assertEquals(1, backend.openLeases());
        second.close();
        assertEquals(0, backend.openLeases());
        backend.shutdown(Duration.ZERO);
    }

    @Test
    void vectorBackend_stopsItsWorkerThreadsOnShutdown() {
        long before = workerThreads();
        VectorKernelBackend backend = VectorKernelBackend.standalone(4);
        assertEquals(before + 3, workerThreads());
        backend.shutdown(Duration.ZERO);
        assertEquals(before, workerThreads());
    }

    static long workerThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("petrel-kernels-java") && t.isAlive())
                .count();
    }

    @Test
    void uploadWeights_usesNativeMemoryInPlace() {
        ScalarKernelBackend backend = ScalarKernelBackend.standalone();
        try (Arena arena = Arena.ofConfined(); ComputeStream stream = backend.openStream()) {
            MemorySegment file = arena.allocate(4 * 4);
            Tensor weight = backend.uploadWeights("w", TensorType.F32, new long[] {4}, file);
            file.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, 2, 7f);
            assertEquals(7f, stream.readFloats(weight)[2]);
            weight.close();
        } finally {
            backend.shutdown(Duration.ZERO);
        }
    }

    @Test
    void uploadWeights_copiesHeapMemory() {
        ScalarKernelBackend backend = ScalarKernelBackend.standalone();
        try (ComputeStream stream = backend.openStream()) {
            float[] values = {1, 2, 3, 4};
            Tensor weight = backend.uploadWeights("w", TensorType.F32, new long[] {4}, MemorySegment.ofArray(values));
            values[2] = 7f;
            assertEquals(3f, stream.readFloats(weight)[2]);
        } finally {
            backend.shutdown(Duration.ZERO);
        }
    }

    @Test
    void transfer_keepsInPlaceWeightsInPlaceAndCopiesTheRest() {
        ScalarKernelBackend from = ScalarKernelBackend.standalone();
        VectorKernelBackend to = VectorKernelBackend.standalone(1);
        try (Arena arena = Arena.ofConfined(); ComputeStream stream = to.openStream()) {
            MemorySegment file = arena.allocate(4 * 4);
            Tensor weight = from.uploadWeights("w", TensorType.F32, new long[] {4}, file);
            Tensor cache = from.allocate("k", BufferUsage.CACHE, TensorType.F32, 4);
            try (ComputeStream source = from.openStream()) {
                source.write(MemorySegment.ofArray(new float[] {1, 2, 3, 4}), cache);
            }
            Tensor movedWeight = to.transfer(weight);
            Tensor movedCache = to.transfer(cache);
            from.shutdown(Duration.ZERO);
            file.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, 1, 5f);
            assertEquals(5f, stream.readFloats(movedWeight)[1]);
            assertEquals(4f, stream.readFloats(movedCache)[3]);
            assertEquals(BufferUsage.CACHE, movedCache.usage());
            movedWeight.close();
            movedCache.close();
        } finally {
            to.shutdown(Duration.ZERO);
        }
    }

    private static void waitUntil(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 10 s");
            }
            Thread.sleep(5);
        }
    }
}
