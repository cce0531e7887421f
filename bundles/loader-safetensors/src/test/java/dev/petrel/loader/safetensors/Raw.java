package dev.petrel.loader.safetensors;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Hand-made safetensors bytes: any header text, any declared length, any data. */
final class Raw {

    private Raw() {
    }

    /** An 8-byte length (as given), the header bytes, then the data. */
    static byte[] file(long declaredLength, byte[] header, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(declaredLength);
        b.put(header);
        b.put(data);
        return b.array();
    }

    /** A well-formed frame around {@code json} and {@code dataBytes} zero bytes of data. */
    static byte[] file(String json, int dataBytes) {
        byte[] header = json.getBytes(StandardCharsets.UTF_8);
        return file(header.length, header, new byte[dataBytes]);
    }
}
