package dev.petrel.loader.gguf;

import dev.petrel.api.ModelFormatException;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Writes GGUF bytes field by field, without any of GgufWriter's checks, so that tests can build
 * the broken files that the writer refuses to make.
 */
final class RawGguf {

    static final String SOURCE = "hostile.gguf";

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    /** Magic, version and the two counts. */
    static RawGguf header(long version, long tensorCount, long kvCount) {
        return new RawGguf().bytes("GGUF".getBytes(StandardCharsets.US_ASCII)).u32(version).u64(tensorCount).u64(kvCount);
    }

    RawGguf bytes(byte[] bytes) {
        out.writeBytes(bytes);
        return this;
    }

    RawGguf u8(int value) {
        out.write(value);
        return this;
    }

    RawGguf u32(long value) {
        return bytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) value).array());
    }

    RawGguf u64(long value) {
        return bytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value).array());
    }

    RawGguf f32(float value) {
        return u32(Float.floatToRawIntBits(value));
    }

    /** A GGUF string: uint64 length and UTF-8 bytes. */
    RawGguf string(String value) {
        byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
        return u64(utf8.length).bytes(utf8);
    }

    /** A key with a value type id; the caller writes the value. */
    RawGguf key(String key, GgufValueType type) {
        return string(key).u32(type.id());
    }

    RawGguf uint32Key(String key, long value) {
        return key(key, GgufValueType.UINT32).u32(value);
    }

    RawGguf tensorInfo(String name, int ggmlType, long offset, long... dims) {
        string(name).u32(dims.length);
        for (long d : dims) {
            u64(d);
        }
        return u32(ggmlType).u64(offset);
    }

    /** Zeros up to the next multiple of {@code alignment}, then {@code dataBytes} zeros. */
    RawGguf padAndData(int alignment, int dataBytes) {
        while (out.size() % alignment != 0) {
            out.write(0);
        }
        out.writeBytes(new byte[dataBytes]);
        return this;
    }

    byte[] toBytes() {
        return out.toByteArray();
    }

    GgufFile parse() {
        return parse(toBytes());
    }

    static GgufFile parse(byte[] bytes) {
        return GgufFile.parse(SOURCE, MemorySegment.ofArray(bytes));
    }

    /** The ModelFormatException that parsing these bytes gives, or an AssertionError. */
    ModelFormatException failure() {
        try (GgufFile file = parse()) {
            throw new AssertionError("expected a ModelFormatException, but parsed " + file);
        } catch (ModelFormatException e) {
            return e;
        }
    }
}
