package dev.petrel.api.engine;

import java.util.Objects;

/**
 * The outcome of a generation.
 *
 * @param promptIds the ids that were appended before generating
 * @param ids every generated id, an end-of-generation token included
 * @param text the decoded text of {@code ids} (control tokens render as nothing), cut before
 *        a stop string
 * @param stopReason why generation ended
 */
public record GenerationResult(int[] promptIds, int[] ids, String text, StopReason stopReason, Timings timings) {

    /** Why generation ended. */
    public enum StopReason {
        /** The model produced an end-of-generation token (EOS, end of turn). */
        END_OF_GENERATION,
        /** The text reached a stop string. */
        STOP_STRING,
        /** {@code maxTokens} were generated. */
        MAX_TOKENS,
        /** The session's context is full. */
        CONTEXT_FULL,
        /** The listener returned false, or the thread was interrupted. */
        CANCELLED
    }

    /**
     * Where the time went.
     *
     * @param promptTokens ids processed as the prompt batch
     * @param promptNanos time to process them
     * @param generatedTokens tokens generated
     * @param generationNanos time from the end of the prompt to the last token, sampling
     *        included
     */
    public record Timings(int promptTokens, long promptNanos, int generatedTokens, long generationNanos) {

        public double promptTokensPerSecond() {
            return promptNanos == 0 ? 0 : promptTokens * 1e9 / promptNanos;
        }

        public double generationTokensPerSecond() {
            return generationNanos == 0 ? 0 : generatedTokens * 1e9 / generationNanos;
        }
    }

    public GenerationResult {
        promptIds = promptIds.clone();
        ids = ids.clone();
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(stopReason, "stopReason");
        Objects.requireNonNull(timings, "timings");
    }

    /** A copy of the prompt ids. */
    @Override
    public int[] promptIds() {
        return promptIds.clone();
    }

    /** A copy of the generated ids. */
    @Override
    public int[] ids() {
        return ids.clone();
    }
}
