package dev.petrel.api.engine;

import dev.petrel.api.attention.AttentionConfig;
import dev.petrel.api.experts.MoeConfig;
import java.util.Objects;

/**
 * A model's hyperparameters, read by its {@link ModelArchitecture} from explicit metadata
 * keys, never guessed from tensor shapes ({@code {arch}} is the value of
 * {@code general.architecture}; a Hugging Face config.json is flattened to the same keys by
 * its loader).
 *
 * @param architecture {@code general.architecture}, for example {@code llama}
 * @param name {@code general.name}, or the file name when absent
 * @param vocabularySize logits per token ({@code {arch}.vocab_size}, else the length of
 *        {@code tokenizer.ggml.tokens})
 * @param contextLength trained context ({@code {arch}.context_length})
 * @param embeddingLength {@code n_embd} ({@code {arch}.embedding_length})
 * @param blockCount layers ({@code {arch}.block_count})
 * @param feedForwardLength hidden length of the dense FFN layers
 *        ({@code {arch}.feed_forward_length})
 * @param normEps epsilon of the layer RMS norms ({@code {arch}.attention.layer_norm_rms_epsilon})
 * @param attention attention hyperparameters, RoPE included ({@code {arch}.rope.*})
 * @param moe mixture-of-experts hyperparameters, or null for a dense model
 */
public record ModelConfig(String architecture, String name, int vocabularySize, int contextLength,
        int embeddingLength, int blockCount, int feedForwardLength, float normEps, AttentionConfig attention,
        MoeConfig moe) {

    public ModelConfig {
        Objects.requireNonNull(architecture, "architecture");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(attention, "attention");
        if (vocabularySize < 1 || contextLength < 1 || embeddingLength < 1 || blockCount < 1
                || feedForwardLength < 0 || !(normEps > 0)) {
            throw new IllegalArgumentException(architecture + ": vocabulary " + vocabularySize + ", context "
                    + contextLength + ", n_embd " + embeddingLength + ", blocks " + blockCount + ", FFN length "
                    + feedForwardLength + ", norm epsilon " + normEps);
        }
        if (attention.embeddingLength() != embeddingLength) {
            throw new IllegalArgumentException(architecture + ": attention n_embd " + attention.embeddingLength()
                    + " differs from the model's " + embeddingLength);
        }
    }

    /** Whether layer {@code layer} (from 0) has experts rather than a dense FFN. */
    public boolean isMoeLayer(int layer) {
        return moe != null && moe.isMoeLayer(layer);
    }
}
