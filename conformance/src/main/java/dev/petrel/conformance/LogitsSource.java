package dev.petrel.conformance;

/**
 * Something that computes logits for token ids: llama.cpp ({@link LlamaCppReference.Model}) or
 * the engine under test. Every call starts from an empty context and adds no BOS: the ids are
 * evaluated exactly as given.
 */
public interface LogitsSource {

    /**
     * Evaluates {@code prompt} (as one batch), then generates {@code steps} ids greedily, one
     * at a time, each chosen as the argmax of the previous position's logits. Generation does
     * not stop at end-of-generation tokens.
     */
    Generation greedy(int[] prompt, int steps);

    /**
     * Teacher forcing: evaluates {@code ids} as one batch and returns, for every position
     * {@code i}, the distribution over the id that follows {@code ids[0..i]}.
     */
    java.util.List<Distribution> teacherForced(int[] ids);

    /** A short description for reports (for example {@code llama.cpp b0.5.0 on qwen2-...}). */
    String describe();
}
