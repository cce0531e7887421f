package dev.petrel.api.tokenizer;

/** What a vocabulary entry is, in the terms GGUF's {@code tokenizer.ggml.token_type} uses. */
public enum TokenKind {
    /** Ordinary text. */
    NORMAL,
    /** The unknown token. */
    UNKNOWN,
    /** Control tokens (BOS, EOS, chat markers): never produced from plain text. */
    CONTROL,
    /** Tokens added on top of the model's vocabulary and matched before tokenization. */
    USER_DEFINED,
    /** Unused slots. */
    UNUSED,
    /** One byte ({@code <0x0A>}) for byte fallback. */
    BYTE
}
