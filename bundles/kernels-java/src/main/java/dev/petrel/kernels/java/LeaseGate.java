package dev.petrel.kernels.java;

import dev.petrel.api.kernel.BackendUnavailableException;
import java.time.Duration;

/**
 * Counts a backend's open leases and drives its shutdown: open, then draining (no new
 * leases, a bounded wait for the open ones), then closed (memory freed, every use throws).
 */
final class LeaseGate {

    enum State { OPEN, DRAINING, CLOSED }

    private final String backendName;
    private volatile State state = State.OPEN;
    private int open;

    LeaseGate(String backendName) {
        this.backendName = backendName;
    }

    synchronized void acquire() {
        if (state != State.OPEN) {
            throw new BackendUnavailableException("kernel backend " + backendName + " is shutting down: no new leases");
        }
        open++;
    }

    synchronized void release() {
        open--;
        notifyAll();
    }

    synchronized int openLeases() {
        return open;
    }

    /**
     * Refuses new leases and waits up to {@code timeout} for the open ones to close.
     *
     * @return the leases still open when the wait ended
     */
    synchronized int drain(Duration timeout) throws InterruptedException {
        if (state == State.OPEN) {
            state = State.DRAINING;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (open > 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return open;
    }

    void close() {
        state = State.CLOSED;
    }

    State state() {
        return state;
    }

    /** Throws once the backend has freed its memory. */
    void checkUsable() {
        if (state == State.CLOSED) {
            throw new BackendUnavailableException("kernel backend " + backendName + " has shut down and freed its memory");
        }
    }
}
