package dev.petrel.loader.gguf;

import java.util.Locale;
import java.util.Optional;

/**
 * The type of a GGUF metadata value, with GGUF's own type ids (0 to 12).
 *
 * <p>Several types share one Java representation (uint8 and int8 are both an {@link Integer},
 * for example), so the reader keeps this exact type next to every value; the writer uses it to
 * write a value back as it was.
 */
public enum GgufValueType {
    UINT8(0, 1),
    INT8(1, 1),
    UINT16(2, 2),
    INT16(3, 2),
    UINT32(4, 4),
    INT32(5, 4),
    FLOAT32(6, 4),
    BOOL(7, 1),
    STRING(8, -1),
    ARRAY(9, -1),
    UINT64(10, 8),
    INT64(11, 8),
    FLOAT64(12, 8);

    // Constants are declared in id order, so the ordinal is the id.
    private static final GgufValueType[] BY_ID = values();

    private final int id;
    private final int fixedSize;

    GgufValueType(int id, int fixedSize) {
        this.id = id;
        this.fixedSize = fixedSize;
    }

    /** The type id stored in the file. */
    public int id() {
        return id;
    }

    /** Bytes taken by one value, or -1 for strings and arrays, whose size varies. */
    public int fixedSize() {
        return fixedSize;
    }

    /** Whether values of this type are numbers (integers or floating point). */
    public boolean isNumeric() {
        return this != BOOL && this != STRING && this != ARRAY;
    }

    /** The name GGUF tools print, such as {@code uint32} or {@code string}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The type with this id, if GGUF defines one. */
    public static Optional<GgufValueType> ofId(long id) {
        return id >= 0 && id < BY_ID.length ? Optional.of(BY_ID[(int) id]) : Optional.empty();
    }
}
