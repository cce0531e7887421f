package dev.petrel.api.engine;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Receives generated tokens as they are produced, on the generating thread.
 *
 * <p>{@code piece} is the text that became final with this token. It is empty while the
 * bytes of an incomplete UTF-8 character or the start of a possible stop string are held
 * back; held text comes with a later token. Joined, the pieces equal the result's text.
 */
@ConsumerType
@FunctionalInterface
public interface TokenListener {

    /** A listener that takes every token. */
    TokenListener NONE = (id, piece) -> true;

    /** @return false to stop generating ({@link GenerationResult.StopReason#CANCELLED}) */
    boolean onToken(int id, String piece);
}
