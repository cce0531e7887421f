package dev.petrel.kernels.java;

import dev.petrel.api.kernel.KernelBackend;
import dev.petrel.kernels.java.vector.VectorKernels;
import dev.petrel.kernels.java.vector.WorkerPool;
import java.time.Duration;
import java.util.Set;
import jdk.incubator.vector.FloatVector;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

/**
 * {@code kernel=java}: the Vector API backend on a pool of worker threads ({@code threads},
 * default one per processor). Ranked above the scalar reference, so the engine prefers it.
 * Its threads start on activation and end on deactivation.
 *
 * <p>Immediate: a backend the engine stops using stays active until its bundle stops, so the
 * sessions still on it can take their caches away; a delayed component would be disposed by
 * SCR in the middle of the engine's rebind.
 */
@Component(service = KernelBackend.class, immediate = true, configurationPid = VectorKernelBackend.PID,
        property = {KernelBackend.KERNEL + "=" + VectorKernelBackend.NAME, "service.ranking:Integer=100"})
public final class VectorKernelBackend extends HostBackend {

    public static final String NAME = "java";
    public static final String PID = "dev.petrel.kernels.java";

    private volatile Duration leaseWait = Duration.ofSeconds(5);

    public VectorKernelBackend() {
        super(NAME);
    }

    /**
     * A started backend for use outside a framework (tools, tests); end it with
     * {@link #shutdown}.
     *
     * @param threads threads per op, the caller included; 0 or less for one per processor
     */
    public static VectorKernelBackend standalone(int threads) {
        VectorKernelBackend backend = new VectorKernelBackend();
        backend.begin(threads, Duration.ofSeconds(5));
        return backend;
    }

    @Activate
    void activate(JavaKernelConfig config) {
        begin(config.threads(), Duration.ofMillis(Math.max(0, config.lease_timeout_ms())));
    }

    @Deactivate
    void deactivate() {
        shutdown(leaseWait);
    }

    private void begin(int threads, Duration wait) {
        leaseWait = wait;
        int count = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        WorkerPool pool = new WorkerPool("petrel-kernels-java", count);
        String bits = "vector-bits=" + FloatVector.SPECIES_PREFERRED.vectorBitSize();
        start(new VectorKernels(pool), HostDevices.of(count, Set.of("vector-api", bits, "f16", "bf16")));
    }
}
