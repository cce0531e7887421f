package dev.petrel.api.kernel;

import dev.petrel.api.PetrelException;

/**
 * A kernel backend that is shutting down or gone: it grants no more leases, and its tensors
 * and streams no longer work once it has freed its memory. The engine answers it by moving
 * to another backend.
 */
public class BackendUnavailableException extends PetrelException {
    private static final long serialVersionUID = 1L;

    public BackendUnavailableException(String message) {
        super(message);
    }

    public BackendUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
