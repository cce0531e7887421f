package dev.petrel.shell;

import dev.petrel.api.engine.GenerationResult;

/** The one-line timing summary printed after a generation. */
final class Timing {

    private Timing() {
    }

    static String describe(GenerationResult result) {
        GenerationResult.Timings t = result.timings();
        return String.format("prompt %d tokens (%.1f tok/s), generated %d tokens (%.1f tok/s), stop: %s",
                t.promptTokens(), t.promptTokensPerSecond(), t.generatedTokens(), t.generationTokensPerSecond(),
                result.stopReason().name().toLowerCase().replace('_', ' '));
    }
}
