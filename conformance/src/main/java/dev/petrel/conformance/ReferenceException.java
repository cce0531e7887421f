package dev.petrel.conformance;

/** llama.cpp answered a request with an error, or stopped answering. */
public class ReferenceException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public ReferenceException(String message) {
        super(message);
    }

    public ReferenceException(String message, Throwable cause) {
        super(message, cause);
    }
}
