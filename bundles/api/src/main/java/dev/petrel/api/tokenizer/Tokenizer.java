package dev.petrel.api.tokenizer;

import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * A model's tokenizer. Instances are immutable and safe to share between threads.
 */
@ProviderType
public interface Tokenizer {

    /** The tokenizer model, for example {@code bpe} (byte-level BPE) or {@code spm} (SentencePiece). */
    String model();

    /** The pre-tokenizer, for example {@code llama3}, {@code qwen2}, {@code deepseek-v3} or {@code default}. */
    String preTokenizer();

    /** Number of token ids (the vocabulary plus added tokens). */
    int vocabularySize();

    /**
     * Encodes text.
     *
     * @param addSpecial add the model's BOS (and EOS) tokens as its configuration asks
     * @param parseSpecial recognise special and control tokens written in the text (as in a
     *        rendered chat template); when false they are encoded as plain text
     */
    int[] encode(String text, boolean addSpecial, boolean parseSpecial);

    /** The text's own tokens: no BOS/EOS, special tokens in the text not recognised. */
    default int[] encode(String text) {
        return encode(text, false, false);
    }

    /**
     * Decodes ids to text. Control tokens (BOS, EOS) are left out unless
     * {@code renderSpecial}; bytes that are not valid UTF-8 become U+FFFD.
     */
    String decode(int[] ids, boolean renderSpecial);

    default String decode(int[] ids) {
        return decode(ids, false);
    }

    /**
     * The bytes a token stands for in decoded text (empty for control tokens). Streaming
     * decoders join these and emit text at UTF-8 character boundaries.
     */
    byte[] tokenBytes(int id);

    /** The vocabulary entry of a token as stored (for example {@code Ġthe} or {@code ▁the}). */
    String tokenText(int id);

    /** The kind of a token. */
    TokenKind kind(int id);

    /** The id of a token given its vocabulary entry. */
    Optional<Integer> id(String tokenText);

    /** Beginning-of-sequence id, or -1 when the model has none. */
    int bosId();

    /** End-of-sequence id, or -1 when the model has none. */
    int eosId();

    /** Whether generation ends at this id (EOS, end of turn, end of message). */
    boolean isEndOfGeneration(int id);

    /** The model's chat template (Jinja), when the source has one. */
    Optional<String> chatTemplate();
}
