package dev.petrel.kernels.java.numerics;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Little-endian element access to tensor memory, by element index. */
public final class F32 {

    public static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private F32() {
    }

    public static float get(MemorySegment data, long index) {
        return data.getAtIndex(FLOAT, index);
    }

    public static void set(MemorySegment data, long index, float value) {
        data.setAtIndex(FLOAT, index, value);
    }

    public static int getInt(MemorySegment data, long index) {
        return data.getAtIndex(INT, index);
    }

    public static void setInt(MemorySegment data, long index, int value) {
        data.setAtIndex(INT, index, value);
    }

    /** Copies {@code count} floats from element {@code index} into {@code dst[offset..]}. */
    public static void read(MemorySegment data, long index, float[] dst, int offset, int count) {
        MemorySegment.copy(data, FLOAT, index * Float.BYTES, dst, offset, count);
    }

    /** Copies {@code count} floats from {@code src[offset..]} to element {@code index}. */
    public static void write(float[] src, int offset, MemorySegment data, long index, int count) {
        MemorySegment.copy(src, offset, data, FLOAT, index * Float.BYTES, count);
    }
}
