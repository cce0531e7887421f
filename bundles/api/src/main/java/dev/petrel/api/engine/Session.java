package dev.petrel.api.engine;

import org.osgi.annotation.versioning.ProviderType;

/**
 * One sequence being processed by a model: its tokens so far in a KV cache of
 * {@link #contextLength()} positions. Used by one thread at a time; sessions of one model run
 * in parallel.
 *
 * <p>While it computes, a session holds a lease on its kernel backend. Between tokens it may
 * move to another backend (hot swap); callers see no difference, and with greedy sampling
 * the tokens are the ones it would have produced without the move.
 *
 * <p>Ids that would overflow the context throw {@link dev.petrel.api.PetrelException} naming
 * the context length and the number of tokens, before anything is processed.
 */
@ProviderType
public interface Session extends AutoCloseable {

    Model model();

    /** Tokens in the sequence: the position the next appended token takes. */
    int position();

    /** Positions the cache holds. */
    int contextLength();

    /** A copy of the sequence's ids, {@code int[position()]}. */
    int[] tokens();

    /**
     * Appends {@code ids} as one batch (matrix × matrix, not token by token).
     *
     * @return the logits for the token after the last id, {@code float[vocab]}
     * @throws IllegalArgumentException if {@code ids} is empty or an id is outside the
     *         vocabulary
     */
    float[] process(int[] ids);

    /**
     * Appends {@code ids} as one batch and returns the logits after each of them,
     * {@code float[ids.length][vocab]} (teacher-forced evaluation).
     */
    float[][] processAll(int[] ids);

    /**
     * Appends the request's prompt, then generates token after token until an end-of-generation
     * token, a stop string, {@code maxTokens}, a full context or the listener says stop. Every
     * generated id becomes part of the sequence, so a later call continues it (the last one
     * may be run through the model only then).
     *
     * @throws IllegalArgumentException if the prompt is empty and the session holds nothing
     */
    GenerationResult generate(GenerationRequest request, TokenListener listener);

    default GenerationResult generate(GenerationRequest request) {
        return generate(request, TokenListener.NONE);
    }

    /**
     * Forgets the tokens from {@code position} on (a chat edit, a regenerated answer); the
     * cache keeps the rest.
     *
     * @throws IndexOutOfBoundsException unless {@code 0 <= position <= position()}
     */
    void truncate(int position);

    /** Forgets every token. */
    default void reset() {
        truncate(0);
    }

    /** Frees the cache. Closing again does nothing. */
    @Override
    void close();
}
