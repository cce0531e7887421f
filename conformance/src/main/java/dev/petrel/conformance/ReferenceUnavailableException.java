package dev.petrel.conformance;

/**
 * The llama.cpp reference cannot run here: Node.js is missing, node-llama-cpp is not installed
 * (run {@code scripts/setup-llama-cpp}), or the process failed to start. The message says which
 * and what to do.
 */
public class ReferenceUnavailableException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public ReferenceUnavailableException(String message) {
        super(message);
    }

    public ReferenceUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
