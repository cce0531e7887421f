package dev.petrel.loader.gguf;

import java.util.AbstractList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.RandomAccess;

/**
 * A metadata value together with its exact GGUF type.
 *
 * <p>{@link #value()} is the plain Java form that {@link dev.petrel.api.weights.Metadata}
 * documents: {@link Integer} for uint8, int8, uint16, int16 and int32; {@link Long} for uint32,
 * int64 and uint64 (the latter keeps its 64 bits); {@link Float}, {@link Double},
 * {@link Boolean}, {@link String}; for arrays {@code int[]}, {@code long[]}, {@code float[]},
 * {@code double[]}, {@code boolean[]} (same element rules) or {@code List<String>}; for arrays
 * of arrays a {@code List<Object>} of such arrays, whose exact types {@link #elements()} keeps.
 *
 * <p>The factories check that a value fits its type (an uint8 is 0 to 255) and copy arrays, so
 * a value is immutable. Values compare equal when type, element types and content are equal.
 */
public final class GgufValue {

    private final GgufValueType type;
    private final GgufValueType elementType;
    private final Object value;
    private final List<GgufValue> elements;

    private GgufValue(GgufValueType type, GgufValueType elementType, Object value, List<GgufValue> elements) {
        this.type = type;
        this.elementType = elementType;
        this.value = value;
        this.elements = elements;
    }

    public static GgufValue uint8(int value) {
        return new GgufValue(GgufValueType.UINT8, null, (int) inRange(value, 0, 0xFF, GgufValueType.UINT8), null);
    }

    public static GgufValue int8(int value) {
        return new GgufValue(GgufValueType.INT8, null, (int) inRange(value, Byte.MIN_VALUE, Byte.MAX_VALUE, GgufValueType.INT8), null);
    }

    public static GgufValue uint16(int value) {
        return new GgufValue(GgufValueType.UINT16, null, (int) inRange(value, 0, 0xFFFF, GgufValueType.UINT16), null);
    }

    public static GgufValue int16(int value) {
        return new GgufValue(GgufValueType.INT16, null, (int) inRange(value, Short.MIN_VALUE, Short.MAX_VALUE, GgufValueType.INT16), null);
    }

    public static GgufValue uint32(long value) {
        return new GgufValue(GgufValueType.UINT32, null, inRange(value, 0, 0xFFFF_FFFFL, GgufValueType.UINT32), null);
    }

    public static GgufValue int32(int value) {
        return new GgufValue(GgufValueType.INT32, null, value, null);
    }

    /** An unsigned 64-bit value given by its bits: {@code -1L} stands for 2^64 - 1. */
    public static GgufValue uint64(long bits) {
        return new GgufValue(GgufValueType.UINT64, null, bits, null);
    }

    public static GgufValue int64(long value) {
        return new GgufValue(GgufValueType.INT64, null, value, null);
    }

    public static GgufValue float32(float value) {
        return new GgufValue(GgufValueType.FLOAT32, null, value, null);
    }

    public static GgufValue float64(double value) {
        return new GgufValue(GgufValueType.FLOAT64, null, value, null);
    }

    public static GgufValue bool(boolean value) {
        return new GgufValue(GgufValueType.BOOL, null, value, null);
    }

    public static GgufValue string(String value) {
        return new GgufValue(GgufValueType.STRING, null, Objects.requireNonNull(value, "value"), null);
    }

    /** An array of strings. */
    public static GgufValue strings(List<String> values) {
        return array(GgufValueType.STRING, values);
    }

    /** An array of arrays; each inner array keeps its own element type. */
    public static GgufValue arrays(List<GgufValue> arrays) {
        return array(GgufValueType.ARRAY, arrays);
    }

    /**
     * An array of {@code elementType}, given in the plain Java form (an {@code int[]} for
     * uint8, a {@code long[]} for uint32, a {@code List<String>} for strings, ...); for arrays
     * of arrays, a {@code List<GgufValue>} of arrays.
     *
     * @throws IllegalArgumentException if the Java form or an element does not fit the type
     */
    public static GgufValue array(GgufValueType elementType, Object values) {
        Objects.requireNonNull(elementType, "elementType");
        Objects.requireNonNull(values, "values");
        if (elementType == GgufValueType.ARRAY) {
            List<GgufValue> inner = listOf(values, GgufValue.class, elementType);
            for (GgufValue v : inner) {
                if (v.type != GgufValueType.ARRAY) {
                    throw new IllegalArgumentException("an array of arrays holds arrays, found " + v);
                }
            }
            return ofArrays(inner);
        }
        Object copy = switch (elementType) {
            case UINT8 -> intsInRange(values, 0, 0xFF, elementType);
            case INT8 -> intsInRange(values, Byte.MIN_VALUE, Byte.MAX_VALUE, elementType);
            case UINT16 -> intsInRange(values, 0, 0xFFFF, elementType);
            case INT16 -> intsInRange(values, Short.MIN_VALUE, Short.MAX_VALUE, elementType);
            case INT32 -> intsInRange(values, Integer.MIN_VALUE, Integer.MAX_VALUE, elementType);
            case UINT32 -> longsInRange(values, 0, 0xFFFF_FFFFL, elementType);
            case UINT64, INT64 -> longsInRange(values, Long.MIN_VALUE, Long.MAX_VALUE, elementType);
            case FLOAT32 -> values instanceof float[] f ? f.clone() : wrongForm(values, "float[]", elementType);
            case FLOAT64 -> values instanceof double[] d ? d.clone() : wrongForm(values, "double[]", elementType);
            case BOOL -> values instanceof boolean[] b ? b.clone() : wrongForm(values, "boolean[]", elementType);
            case STRING -> listOf(values, String.class, elementType);
            case ARRAY -> throw new AssertionError("handled above");
        };
        return new GgufValue(GgufValueType.ARRAY, elementType, copy, null);
    }

    // Factories for the parser: it builds fresh arrays that nobody else holds, so no copy.

    static GgufValue ofScalar(GgufValueType type, Object value) {
        return new GgufValue(type, null, value, null);
    }

    static GgufValue ofArray(GgufValueType elementType, Object freshArrayOrList) {
        return new GgufValue(GgufValueType.ARRAY, elementType, freshArrayOrList, null);
    }

    static GgufValue ofArrays(List<GgufValue> freshArrays) {
        List<GgufValue> inner = Collections.unmodifiableList(freshArrays);
        return new GgufValue(GgufValueType.ARRAY, GgufValueType.ARRAY, new PlainValues(inner), inner);
    }

    /** The type of this value; {@link GgufValueType#ARRAY} for arrays. */
    public GgufValueType type() {
        return type;
    }

    /** The type of the elements of an array; empty for other values. */
    public Optional<GgufValueType> elementType() {
        return Optional.ofNullable(elementType);
    }

    public boolean isArray() {
        return type == GgufValueType.ARRAY;
    }

    /** The plain Java value (see the class comment); arrays are shared, do not modify them. */
    public Object value() {
        return value;
    }

    /** The number of elements of an array. */
    public int length() {
        return switch (value) {
            case int[] a -> a.length;
            case long[] a -> a.length;
            case float[] a -> a.length;
            case double[] a -> a.length;
            case boolean[] a -> a.length;
            case List<?> list -> list.size();
            default -> throw new IllegalStateException("a " + type.label() + " value is not an array");
        };
    }

    /** The inner arrays, with their types, of an array of arrays. */
    public List<GgufValue> elements() {
        if (elements == null) {
            throw new IllegalStateException("not an array of arrays: " + this);
        }
        return elements;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufValue v
                && type == v.type
                && elementType == v.elementType
                && contentEquals(v);
    }

    private boolean contentEquals(GgufValue v) {
        if (elements != null) {
            return elements.equals(v.elements);
        }
        return switch (value) {
            case int[] a -> v.value instanceof int[] b && Arrays.equals(a, b);
            case long[] a -> v.value instanceof long[] b && Arrays.equals(a, b);
            case float[] a -> v.value instanceof float[] b && Arrays.equals(a, b);
            case double[] a -> v.value instanceof double[] b && Arrays.equals(a, b);
            case boolean[] a -> v.value instanceof boolean[] b && Arrays.equals(a, b);
            default -> value.equals(v.value);
        };
    }

    @Override
    public int hashCode() {
        int content = switch (value) {
            case int[] a -> Arrays.hashCode(a);
            case long[] a -> Arrays.hashCode(a);
            case float[] a -> Arrays.hashCode(a);
            case double[] a -> Arrays.hashCode(a);
            case boolean[] a -> Arrays.hashCode(a);
            default -> elements != null ? elements.hashCode() : value.hashCode();
        };
        return Objects.hash(type, elementType, content);
    }

    /** A short description such as {@code uint32 4096} or {@code array<string>[32000]}. */
    @Override
    public String toString() {
        if (isArray()) {
            return "array<" + elementType.label() + ">[" + length() + "]";
        }
        if (type == GgufValueType.UINT64) {
            return "uint64 " + Long.toUnsignedString((Long) value);
        }
        return type == GgufValueType.STRING ? "string \"" + value + "\"" : type.label() + " " + value;
    }

    private static long inRange(long value, long min, long max, GgufValueType type) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(type.label() + " value " + value + " is outside " + min + " to " + max);
        }
        return value;
    }

    private static int[] intsInRange(Object values, long min, long max, GgufValueType type) {
        if (!(values instanceof int[] ints)) {
            return wrongForm(values, "int[]", type);
        }
        for (int v : ints) {
            inRange(v, min, max, type);
        }
        return ints.clone();
    }

    private static long[] longsInRange(Object values, long min, long max, GgufValueType type) {
        if (!(values instanceof long[] longs)) {
            return wrongForm(values, "long[]", type);
        }
        for (long v : longs) {
            inRange(v, min, max, type);
        }
        return longs.clone();
    }

    private static <T> List<T> listOf(Object values, Class<T> elementClass, GgufValueType type) {
        if (!(values instanceof List<?> list)) {
            return wrongForm(values, "List<" + elementClass.getSimpleName() + ">", type);
        }
        for (Object e : list) {
            if (!elementClass.isInstance(e)) {
                return wrongForm(values, "List<" + elementClass.getSimpleName() + "> without nulls", type);
            }
        }
        return list.stream().map(elementClass::cast).toList();
    }

    private static <T> T wrongForm(Object values, String expected, GgufValueType type) {
        throw new IllegalArgumentException("an array of " + type.label() + " is given as " + expected
                + ", found " + values.getClass().getSimpleName());
    }

    /** The plain values of the inner arrays, as a view so that nothing is copied. */
    private static final class PlainValues extends AbstractList<Object> implements RandomAccess {
        private final List<GgufValue> inner;

        PlainValues(List<GgufValue> inner) {
            this.inner = inner;
        }

        @Override
        public Object get(int index) {
            return inner.get(index).value();
        }

        @Override
        public int size() {
            return inner.size();
        }
    }
}
