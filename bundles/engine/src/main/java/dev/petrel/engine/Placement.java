package dev.petrel.engine;

import dev.petrel.api.engine.ForwardPass;
import dev.petrel.api.kernel.BackendUnavailableException;
import dev.petrel.api.kernel.KernelBackend;

/**
 * A model's weights on one backend and the sessions whose caches live there. When the model
 * moves to another backend this placement is retired; its weights are freed once the last
 * session has followed.
 */
final class Placement {

    private final ForwardPass pass;
    private int users;
    private boolean retired;
    private boolean closed;

    Placement(ForwardPass pass) {
        this.pass = pass;
    }

    ForwardPass pass() {
        return pass;
    }

    KernelBackend backend() {
        return pass.backend();
    }

    /** Registers a session; false once retired (the session must look for the newer placement). */
    synchronized boolean join() {
        if (retired) {
            return false;
        }
        users++;
        return true;
    }

    synchronized void leave() {
        users--;
        closeIfUnused();
    }

    /** No new sessions come; the weights go when the current ones have left. */
    synchronized void retire() {
        retired = true;
        closeIfUnused();
    }

    synchronized boolean isRetired() {
        return retired;
    }

    private void closeIfUnused() {
        if (retired && users == 0 && !closed) {
            closed = true;
            try {
                pass.close();
            } catch (BackendUnavailableException e) {
                // the backend went first and freed the weights itself
            }
        }
    }
}
