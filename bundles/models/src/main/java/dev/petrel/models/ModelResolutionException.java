package dev.petrel.models;

import dev.petrel.api.PetrelException;
import java.util.Objects;

/**
 * A model reference that could not be turned into a local file. The message names the
 * reference, the file or URL, and what the user can do about it.
 */
public class ModelResolutionException extends PetrelException {
    private static final long serialVersionUID = 1L;

    /** What went wrong. */
    public enum Reason {
        /** Not a path and not a well-formed {@code hf://} reference. */
        INVALID_REFERENCE,
        /** The local path does not exist, or the server answered 404. */
        NOT_FOUND,
        /** No network: the host is unknown or refuses the connection. */
        OFFLINE,
        /** The repository is gated or private (401/403): a token is needed. */
        UNAUTHORIZED,
        /** Another HTTP status, or a reply that breaks the protocol. */
        HTTP_ERROR,
        /** The transfer kept breaking; the partial file is kept for the next try. */
        INTERRUPTED,
        /** The complete file does not have the size the server announced. */
        SIZE_MISMATCH,
        /** The complete file does not have the SHA-256 the server announced. */
        CHECKSUM_MISMATCH,
        /** The cache could not be written. */
        IO
    }

    private final Reason reason;

    public ModelResolutionException(Reason reason, String message) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public ModelResolutionException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public Reason reason() {
        return reason;
    }
}
