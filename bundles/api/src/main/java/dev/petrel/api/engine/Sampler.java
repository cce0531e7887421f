package dev.petrel.api.engine;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Picks the next token. Built from {@link SamplerSettings} by {@link Engine#sampler}, or
 * written by an application. Stateful (its random generator): one per sequence, used by one
 * thread at a time.
 */
@ConsumerType
public interface Sampler {

    /**
     * @param logits the next-token logits, {@code float[vocab]}; the sampler may modify them
     * @param history the sequence so far (prompt and generated ids), oldest first, for
     *        penalties
     * @return a token id in {@code [0, vocab)}
     */
    int sample(float[] logits, int[] history);
}
