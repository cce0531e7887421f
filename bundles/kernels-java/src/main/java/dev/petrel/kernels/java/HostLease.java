package dev.petrel.kernels.java;

import dev.petrel.api.kernel.KernelBackend;
import dev.petrel.api.kernel.Lease;
import java.util.concurrent.atomic.AtomicBoolean;

/** One open claim on a host backend; closing it twice releases it once. */
final class HostLease implements Lease {

    private final HostBackend backend;
    private final LeaseGate gate;
    private final AtomicBoolean closed = new AtomicBoolean();

    HostLease(HostBackend backend, LeaseGate gate) {
        this.backend = backend;
        this.gate = gate;
    }

    @Override
    public KernelBackend backend() {
        return backend;
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            gate.release();
        }
    }
}
