package dev.petrel.api.engine;

import java.util.List;
import java.util.Objects;

/**
 * What to generate.
 *
 * @param promptIds ids appended to the session before generating, used as given (the caller
 *        adds BOS or renders a chat template); may be empty when the session already holds
 *        tokens
 * @param sampling how tokens are picked
 * @param maxTokens most tokens to generate, or -1 for no limit but the context
 * @param stopStrings generation stops once the text ends with one of these; the stop string
 *        is not part of the result's text
 * @param ignoreEndOfGeneration keep going past end-of-generation tokens (benchmarks)
 */
public record GenerationRequest(int[] promptIds, SamplerSettings sampling, int maxTokens, List<String> stopStrings,
        boolean ignoreEndOfGeneration) {

    public GenerationRequest {
        promptIds = promptIds.clone();
        Objects.requireNonNull(sampling, "sampling");
        stopStrings = List.copyOf(stopStrings);
        if (maxTokens < -1) {
            throw new IllegalArgumentException("max tokens must be -1 (no limit) or at least 0: " + maxTokens);
        }
        if (stopStrings.stream().anyMatch(String::isEmpty)) {
            throw new IllegalArgumentException("a stop string is empty");
        }
    }

    /** A request without stop strings that ends at end-of-generation tokens. */
    public static GenerationRequest of(int[] promptIds, SamplerSettings sampling, int maxTokens) {
        return new GenerationRequest(promptIds, sampling, maxTokens, List.of(), false);
    }

    /** A copy of the prompt ids. */
    @Override
    public int[] promptIds() {
        return promptIds.clone();
    }
}
