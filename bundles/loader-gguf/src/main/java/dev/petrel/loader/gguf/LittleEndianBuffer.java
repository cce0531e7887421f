package dev.petrel.loader.gguf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** A growable little-endian byte buffer in which the writer assembles the header. */
final class LittleEndianBuffer {

    private ByteBuffer buffer = ByteBuffer.allocate(1 << 12).order(ByteOrder.LITTLE_ENDIAN);

    void u8(int value) {
        room(1).put((byte) value);
    }

    void u16(int value) {
        room(2).putShort((short) value);
    }

    void u32(long value) {
        room(4).putInt((int) value);
    }

    void u64(long value) {
        room(8).putLong(value);
    }

    void f32(float value) {
        room(4).putInt(Float.floatToRawIntBits(value));
    }

    void f64(double value) {
        room(8).putLong(Double.doubleToRawLongBits(value));
    }

    /** A GGUF string: uint64 byte length, then the UTF-8 bytes, no terminator. */
    void string(String value) {
        byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
        u64(utf8.length);
        room(utf8.length).put(utf8);
    }

    long size() {
        return buffer.position();
    }

    /** The bytes written so far, ready to be read. */
    ByteBuffer contents() {
        return buffer.duplicate().flip();
    }

    private ByteBuffer room(int bytes) {
        if (buffer.remaining() < bytes) {
            long needed = (long) buffer.position() + bytes;
            if (needed > Integer.MAX_VALUE - 8) {
                throw new IllegalStateException("a GGUF header over 2 GiB is not supported");
            }
            int capacity = (int) Math.min(Integer.MAX_VALUE - 8, Math.max(needed, 2L * buffer.capacity()));
            buffer = ByteBuffer.allocate(capacity).order(ByteOrder.LITTLE_ENDIAN).put(buffer.flip());
        }
        return buffer;
    }
}
