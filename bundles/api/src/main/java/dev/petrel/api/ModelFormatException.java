package dev.petrel.api;

/**
 * A model, weight or tokenizer file that does not say what Petrel expects.
 *
 * <p>The message always names the file, the field (key, tensor or header part) and what
 * was expected, so that a user can tell a truncated download from an unsupported model.
 * Loaders throw only this type for bad input, whatever the damage to the file.
 */
public class ModelFormatException extends PetrelException {
    private static final long serialVersionUID = 1L;

    private final String source;
    private final String field;

    public ModelFormatException(String source, String field, String problem) {
        super(source + ": " + field + ": " + problem);
        this.source = source;
        this.field = field;
    }

    public ModelFormatException(String source, String field, String problem, Throwable cause) {
        super(source + ": " + field + ": " + problem, cause);
        this.source = source;
        this.field = field;
    }

    /** The file or folder that was read. */
    public String source() {
        return source;
    }

    /** The key, tensor or header field that was wrong. */
    public String field() {
        return field;
    }
}
