package dev.petrel.kernels.java.scalar;

import dev.petrel.api.weights.TensorType;
import dev.petrel.kernels.java.numerics.F32;
import dev.petrel.kernels.java.numerics.Half;
import java.lang.foreign.MemorySegment;

/** Single elements of F32, F16 and BF16 data, read and written as floats. */
public final class Elements {

    private Elements() {
    }

    public static float get(MemorySegment data, TensorType type, long index) {
        return switch (type) {
            case F32 -> F32.get(data, index);
            case F16 -> Half.f16ToFloat(data.getAtIndex(F32.SHORT, index));
            case BF16 -> Half.bf16ToFloat(data.getAtIndex(F32.SHORT, index));
            default -> throw new IllegalArgumentException("not a float element type: " + type);
        };
    }

    /** Stores {@code value} rounded to nearest even in the type. */
    public static void set(MemorySegment data, TensorType type, long index, float value) {
        switch (type) {
            case F32 -> F32.set(data, index, value);
            case F16 -> data.setAtIndex(F32.SHORT, index, Half.floatToF16(value));
            case BF16 -> data.setAtIndex(F32.SHORT, index, Half.floatToBf16(value));
            default -> throw new IllegalArgumentException("not a float element type: " + type);
        }
    }

    /**
     * {@code value} as it reads back from the type: how ggml rounds an activation to the
     * dot type of F16 or BF16 data before a dot product with it.
     */
    public static float roundTo(TensorType type, float value) {
        return switch (type) {
            case F32 -> value;
            case F16 -> Half.roundToF16(value);
            case BF16 -> Half.roundToBf16(value);
            default -> throw new IllegalArgumentException("not a float element type: " + type);
        };
    }
}
