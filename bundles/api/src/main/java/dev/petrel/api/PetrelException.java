package dev.petrel.api;

/** Base of every error Petrel reports to its callers. */
public class PetrelException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public PetrelException(String message) {
        super(message);
    }

    public PetrelException(String message, Throwable cause) {
        super(message, cause);
    }
}
