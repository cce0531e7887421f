package dev.petrel.loader.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.petrel.api.weights.TensorInfo;
import dev.petrel.api.weights.TensorType;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.LinkedHashMap;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Checks against {@code golden/reference.gguf}, written by llama.cpp's own Python writer
 * (gguf-py; see {@code make_reference.py} next to it): the reader understands it, and the
 * writer produces the same bytes from the same content, which is llama.cpp's layout.
 */
class GgufReferenceFileTest {

    private static byte[] reference() throws IOException {
        try (InputStream in = GgufReferenceFileTest.class.getResourceAsStream("/golden/reference.gguf")) {
            if (in == null) {
                throw new IllegalStateException("test resource golden/reference.gguf is missing");
            }
            return in.readAllBytes();
        }
    }

    /** The metadata that make_reference.py writes, in its order. */
    private static LinkedHashMap<String, GgufValue> referenceMetadata() {
        LinkedHashMap<String, GgufValue> v = new LinkedHashMap<>();
        v.put("general.architecture", GgufValue.string("llama"));
        v.put("general.alignment", GgufValue.uint32(64));
        v.put("u8", GgufValue.uint8(255));
        v.put("i8", GgufValue.int8(-128));
        v.put("u16", GgufValue.uint16(65535));
        v.put("i16", GgufValue.int16(-32768));
        v.put("u32", GgufValue.uint32(4294967295L));
        v.put("i32", GgufValue.int32(-2147483648));
        v.put("f32", GgufValue.float32(1.5f));
        v.put("bool", GgufValue.bool(true));
        v.put("str", GgufValue.string("h\u00e9llo \u4e16\u754c"));
        v.put("u64", GgufValue.uint64(-1L));
        v.put("i64", GgufValue.int64(Long.MIN_VALUE));
        v.put("f64", GgufValue.float64(-0.25));
        v.put("arr.u8", GgufValue.array(GgufValueType.UINT8, new int[] {0, 1, 255}));
        v.put("arr.i16", GgufValue.array(GgufValueType.INT16, new int[] {-2, 3}));
        v.put("arr.u32", GgufValue.array(GgufValueType.UINT32, new long[] {7, 4294967295L}));
        v.put("arr.f32", GgufValue.array(GgufValueType.FLOAT32, new float[] {0.5f, -1.0f}));
        v.put("arr.bool", GgufValue.array(GgufValueType.BOOL, new boolean[] {true, false, true}));
        v.put("arr.str", GgufValue.strings(List.of("a", "", "bc")));
        v.put("arr.f64", GgufValue.array(GgufValueType.FLOAT64, new double[] {2.0}));
        v.put("arr.arr", GgufValue.arrays(List.of(
                GgufValue.array(GgufValueType.INT32, new int[] {1, 2}),
                GgufValue.strings(List.of("x")))));
        return v;
    }

    private static float[] f32Values() {
        float[] values = new float[12];
        for (int i = 0; i < values.length; i++) {
            values[i] = i * 0.5f - 1;
        }
        return values;
    }

    private static byte[] f16Values() {
        // 0/4, 1/4, ... 7/4 as IEEE half floats, little-endian
        byte[] bytes = new byte[16];
        for (int i = 0; i < 8; i++) {
            short half = Float.floatToFloat16(i / 4f);
            bytes[2 * i] = (byte) half;
            bytes[2 * i + 1] = (byte) (half >> 8);
        }
        return bytes;
    }

    private static byte[] q80Blocks() {
        byte[] bytes = new byte[68];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) i;
        }
        return bytes;
    }

    private static byte[] i8Values() {
        byte[] bytes = new byte[24];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (i - 12);
        }
        return bytes;
    }

    @Test
    void referenceFile_isReadWithExactTypesShapesAndData() throws IOException {
        try (GgufFile file = GgufFile.parse("reference.gguf", MemorySegment.ofArray(reference()))) {
            assertEquals(referenceMetadata(), file.metadata().values());
            assertEquals(List.copyOf(referenceMetadata().keySet()), List.copyOf(file.metadata().keys()));
            assertEquals(64, file.header().alignment());
            assertEquals(List.of(
                    new TensorInfo("f32", TensorType.F32, new long[] {4, 3}, 0, 48),
                    new TensorInfo("f16", TensorType.F16, new long[] {8}, 64, 16),
                    new TensorInfo("q8_0", TensorType.Q8_0, new long[] {32, 2}, 128, 68),
                    new TensorInfo("i8", TensorType.I8, new long[] {2, 2, 3, 2}, 256, 24)), file.tensors());
            assertArrayEquals(q80Blocks(), file.data(file.requireTensor("q8_0")).toArray(ValueLayout.JAVA_BYTE));
            assertArrayEquals(f16Values(), file.data(file.requireTensor("f16")).toArray(ValueLayout.JAVA_BYTE));
        }
    }

    @Test
    void writer_producesTheReferenceWritersBytes() throws IOException {
        GgufWriter writer = GgufWriter.create();
        referenceMetadata().forEach(writer::put);
        byte[] written = writer
                .addTensor("f32", new long[] {4, 3}, f32Values())
                .addTensor("f16", TensorType.F16, new long[] {8}, f16Values())
                .addTensor("q8_0", TensorType.Q8_0, new long[] {32, 2}, q80Blocks())
                .addTensor("i8", TensorType.I8, new long[] {2, 2, 3, 2}, i8Values())
                .toByteArray();
        assertArrayEquals(reference(), written);
    }
}
