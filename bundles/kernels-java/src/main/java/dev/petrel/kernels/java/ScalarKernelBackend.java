package dev.petrel.kernels.java;

import dev.petrel.api.kernel.KernelBackend;
import dev.petrel.kernels.java.scalar.ScalarKernels;
import java.time.Duration;
import java.util.Set;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

/**
 * {@code kernel=java-scalar}: the plain single-threaded reference, ranked below the Vector
 * API backend. Every other backend is checked against it, and it is the second Java backend
 * the engine can swap to. Registered by its own bundle ({@code dev.petrel.kernels.java.scalar});
 * in {@code dev.petrel.kernels.java} it only serves the TCK.
 *
 * <p>Immediate: a backend the engine stops using stays active until its bundle stops, so the
 * sessions still on it can take their caches away; a delayed component would be disposed by
 * SCR in the middle of the engine's rebind.
 */
@Component(service = KernelBackend.class, immediate = true, configurationPid = ScalarKernelBackend.PID,
        property = {KernelBackend.KERNEL + "=" + ScalarKernelBackend.NAME, "service.ranking:Integer=10"})
public final class ScalarKernelBackend extends HostBackend {

    public static final String NAME = "java-scalar";
    public static final String PID = "dev.petrel.kernels.java.scalar";

    private volatile Duration leaseWait = Duration.ofSeconds(5);

    public ScalarKernelBackend() {
        super(NAME);
    }

    /** A started backend for use outside a framework (tools, tests); end it with {@link #shutdown}. */
    public static ScalarKernelBackend standalone() {
        ScalarKernelBackend backend = new ScalarKernelBackend();
        backend.begin(Duration.ofSeconds(5));
        return backend;
    }

    @Activate
    void activate(JavaKernelConfig config) {
        begin(Duration.ofMillis(Math.max(0, config.lease_timeout_ms())));
    }

    @Deactivate
    void deactivate() {
        shutdown(leaseWait);
    }

    private void begin(Duration wait) {
        leaseWait = wait;
        start(new ScalarKernels(), HostDevices.of(1, Set.of("scalar", "f16", "bf16")));
    }
}
