package dev.petrel.loader.gguf;

import dev.petrel.api.ModelFormatException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Little-endian reads from a memory segment, each checked against the end of the input.
 *
 * <p>A read names its field in two parts (for example {@code "key 'x'"} and {@code " value"})
 * that are joined only when the read fails, so that reading a large vocabulary builds no
 * strings besides the tokens themselves.
 */
final class SegmentReader {

    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble DOUBLE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** The largest Java array. */
    static final int MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;

    private final String source;
    private final MemorySegment in;
    private final long size;
    private long position;

    SegmentReader(String source, MemorySegment in) {
        this.source = source;
        this.in = in;
        this.size = in.byteSize();
    }

    String source() {
        return source;
    }

    long size() {
        return size;
    }

    long position() {
        return position;
    }

    long remaining() {
        return size - position;
    }

    byte u8(String field, String part) {
        need(1, field, part);
        return in.get(ValueLayout.JAVA_BYTE, position++);
    }

    short u16(String field, String part) {
        need(2, field, part);
        short v = in.get(SHORT, position);
        position += 2;
        return v;
    }

    long u32(String field, String part) {
        need(4, field, part);
        long v = Integer.toUnsignedLong(in.get(INT, position));
        position += 4;
        return v;
    }

    /** An uint64 as its bits: values of 2^63 and more come back negative. */
    long u64(String field, String part) {
        need(8, field, part);
        long v = in.get(LONG, position);
        position += 8;
        return v;
    }

    /** The next {@code n} bytes. */
    byte[] bytes(int n, String field) {
        need(n, field, "");
        byte[] bytes = new byte[n];
        MemorySegment.copy(in, ValueLayout.JAVA_BYTE, position, bytes, 0, n);
        position += n;
        return bytes;
    }

    /** The bytes of a GGUF string: an uint64 length, checked against what remains, then the bytes. */
    byte[] lengthPrefixedBytes(String field) {
        long length = u64(field, " length");
        if (length < 0 || length > remaining()) {
            throw fail(field + " length", "a string of " + Long.toUnsignedString(length) + " bytes, but only "
                    + remaining() + " bytes remain");
        }
        if (length > MAX_ARRAY_LENGTH) {
            throw fail(field + " length", "a string of " + length + " bytes, more than a Java string holds");
        }
        byte[] bytes = new byte[(int) length];
        MemorySegment.copy(in, ValueLayout.JAVA_BYTE, position, bytes, 0, bytes.length);
        position += length;
        return bytes;
    }

    /**
     * {@code n} numbers of a fixed-size {@code type} in their plain Java form: {@code int[]} up
     * to 32 bits (but uint32), {@code long[]} for uint32 and 64 bits, {@code float[]},
     * {@code double[]}.
     */
    Object numbers(GgufValueType type, int n, String field) {
        need((long) n * type.fixedSize(), field, " array");
        long start = position;
        position += (long) n * type.fixedSize();
        return switch (type) {
            case UINT8, INT8 -> {
                int[] a = new int[n];
                int mask = type == GgufValueType.UINT8 ? 0xFF : -1;
                for (int i = 0; i < n; i++) {
                    a[i] = in.get(ValueLayout.JAVA_BYTE, start + i) & mask;
                }
                yield a;
            }
            case UINT16, INT16 -> {
                int[] a = new int[n];
                int mask = type == GgufValueType.UINT16 ? 0xFFFF : -1;
                for (int i = 0; i < n; i++) {
                    a[i] = in.get(SHORT, start + 2L * i) & mask;
                }
                yield a;
            }
            case UINT32 -> {
                long[] a = new long[n];
                for (int i = 0; i < n; i++) {
                    a[i] = Integer.toUnsignedLong(in.get(INT, start + 4L * i));
                }
                yield a;
            }
            case INT32 -> {
                int[] a = new int[n];
                MemorySegment.copy(in, INT, start, a, 0, n);
                yield a;
            }
            case FLOAT32 -> {
                float[] a = new float[n];
                MemorySegment.copy(in, FLOAT, start, a, 0, n);
                yield a;
            }
            case UINT64, INT64 -> {
                long[] a = new long[n];
                MemorySegment.copy(in, LONG, start, a, 0, n);
                yield a;
            }
            case FLOAT64 -> {
                double[] a = new double[n];
                MemorySegment.copy(in, DOUBLE, start, a, 0, n);
                yield a;
            }
            case BOOL, STRING, ARRAY -> throw new IllegalArgumentException(type + " is not a number type");
        };
    }

    private void need(long bytes, String field, String part) {
        if (bytes > size - position) {
            throw fail(field + part, "file truncated: expected " + bytes + " bytes at offset " + position
                    + ", only " + (size - position) + " remain");
        }
    }

    ModelFormatException fail(String field, String problem) {
        return new ModelFormatException(source, field, problem);
    }
}
