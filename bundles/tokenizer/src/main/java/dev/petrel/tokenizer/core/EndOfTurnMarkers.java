package dev.petrel.tokenizer.core;

import java.util.Set;

/**
 * Texts of tokens that end a chat turn in widely used models. Model files name EOS but
 * often not these, so tokenizers look them up by text to know when generation ends.
 */
public final class EndOfTurnMarkers {

    private static final Set<String> TEXTS = Set.of(
            "<|eot_id|>", // Llama 3
            "<|eom_id|>", // Llama 3 tool calls
            "<|im_end|>", // ChatML (Qwen)
            "<|end|>", // Phi-3
            "<|endoftext|>", // GPT-2, Qwen
            "<|end_of_text|>", // Llama 3 base
            "<end_of_turn>", // Gemma
            "<EOT>",
            "<｜end▁of▁sentence｜>"); // DeepSeek

    private EndOfTurnMarkers() {}

    public static boolean isMarker(String tokenText) {
        return TEXTS.contains(tokenText);
    }
}
