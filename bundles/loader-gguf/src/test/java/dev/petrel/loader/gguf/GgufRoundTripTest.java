package dev.petrel.loader.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.petrel.api.weights.TensorInfo;
import dev.petrel.api.weights.TensorType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GgufRoundTripTest {

    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @TempDir
    Path dir;

    private static GgufFile parse(byte[] bytes) {
        return GgufFile.parse("roundtrip.gguf", MemorySegment.ofArray(bytes));
    }

    @Test
    void everyValueType_roundTripsWithItsExactTypeAndOrder() {
        LinkedHashMap<String, GgufValue> expected = Samples.everyValueType();
        GgufWriter writer = GgufWriter.create();
        expected.forEach(writer::put);

        try (GgufFile file = parse(writer.toByteArray())) {
            Map<String, GgufValue> actual = file.metadata().values();
            assertEquals(new ArrayList<>(expected.entrySet()), new ArrayList<>(actual.entrySet()));
            assertEquals(List.copyOf(expected.keySet()), List.copyOf(file.metadata().keys()));
            GgufMetadata metadata = file.metadata();
            assertEquals(GgufValueType.UINT8, metadata.type("u8"));
            assertEquals(GgufValueType.ARRAY, metadata.type("arr.u32"));
            assertEquals(Optional.of(GgufValueType.UINT32), metadata.elementType("arr.u32"));
            assertEquals(Optional.empty(), metadata.elementType("u32"));
            List<GgufValue> inner = metadata.typed("arr.arr").orElseThrow().elements();
            assertEquals(Optional.of(GgufValueType.UINT8), inner.get(0).elementType());
            assertEquals(Optional.of(GgufValueType.STRING), inner.get(1).elementType());
            assertEquals(Optional.of(GgufValueType.FLOAT64), inner.get(2).elements().get(0).elementType());
            assertEquals(0, inner.get(3).length());
        }
    }

    @Test
    void plainValues_followTheMetadataContract() {
        try (GgufFile file = parse(Samples.sampleFile())) {
            GgufMetadata m = file.metadata();
            assertEquals(255, m.require("u8"));
            assertEquals(-128, m.require("i8"));
            assertEquals(65535, m.require("u16"));
            assertEquals(0xFFFF_FFFFL, m.require("u32"));
            assertEquals(Integer.MIN_VALUE, m.require("i32"));
            assertEquals(-1L, m.require("u64"));
            assertEquals(Long.MIN_VALUE, m.require("i64"));
            assertEquals(-0.0f, m.require("f32"));
            assertEquals(Math.PI, m.number("f64"));
            assertTrue(m.bool("bool.true", false));
            assertEquals("h\u00e9llo \u4e16\u754c \uD83D\uDE80", m.string("str"));
            assertEquals("", m.string("str.empty"));
            assertEquals("llama", m.string("general.architecture"));
            assertEquals(0xFFFF_FFFFL, m.integer("u32"));
            assertArrayEquals(new int[] {0, 1, 255}, m.ints("arr.u8"));
            assertArrayEquals(new int[] {-32768, 32767}, m.ints("arr.i16"));
            assertArrayEquals(new long[] {0, 0xFFFF_FFFFL}, (long[]) m.require("arr.u32"));
            assertArrayEquals(new float[] {0.5f, -1e-6f, Float.MAX_VALUE}, m.floats("arr.f32"));
            assertArrayEquals(new boolean[] {true, false, true}, (boolean[]) m.require("arr.bool"));
            assertEquals(List.of("a", "", "\u00fc\u00df", "<|endoftext|>"), m.strings("arr.str"));
            List<?> nested = assertInstanceOf(List.class, m.require("arr.arr"));
            assertArrayEquals(new int[] {1, 2}, (int[]) nested.get(0));
            assertEquals(List.of("x", "yz"), nested.get(1));
            assertArrayEquals(new double[] {1.5}, (double[]) ((List<?>) nested.get(2)).get(0));
            assertEquals(List.of(), nested.get(3));
        }
    }

    @Test
    void tensors_roundTripWithTheirDataAndLlamaCppLayout() throws IOException {
        Random random = new Random(7);
        byte[] q4k = Samples.randomBytes(random, 2 * 144);
        byte[] bf16 = Samples.randomBytes(random, 7 * 2);
        byte[] q40 = Samples.randomBytes(random, 18);
        float[] f32 = {1, 2, 3, 4, 5, 6};
        byte[] bytes;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment offHeap = arena.allocate(q4k.length);
            offHeap.copyFrom(MemorySegment.ofArray(q4k));
            bytes = GgufWriter.create()
                    .put("general.architecture", "llama")
                    .addTensor("a", new long[] {3, 2}, f32)
                    .addTensor("b", TensorType.Q4_K, new long[] {256, 1, 2}, offHeap)
                    .addTensor("c", TensorType.BF16, new long[] {7}, bf16)
                    .addTensor("d", TensorType.Q4_0, new long[] {32}, q40)
                    .toByteArray();
        }
        try (GgufFile file = parse(bytes)) {
            List<TensorInfo> tensors = file.tensors();
            assertEquals(List.of("a", "b", "c", "d"), tensors.stream().map(TensorInfo::name).toList());
            assertEquals(new TensorInfo("a", TensorType.F32, new long[] {3, 2}, 0, 24), tensors.get(0));
            assertEquals(new TensorInfo("b", TensorType.Q4_K, new long[] {256, 1, 2}, 32, 288), tensors.get(1));
            assertEquals(new TensorInfo("c", TensorType.BF16, new long[] {7}, 320, 14), tensors.get(2));
            assertEquals(new TensorInfo("d", TensorType.Q4_0, new long[] {32}, 352, 18), tensors.get(3));

            MemorySegment a = file.data(tensors.get(0));
            for (int i = 0; i < f32.length; i++) {
                assertEquals(f32[i], a.get(LE_FLOAT, 4L * i));
            }
            assertArrayEquals(q4k, file.data(tensors.get(1)).toArray(ValueLayout.JAVA_BYTE));
            assertArrayEquals(bf16, file.data(tensors.get(2)).toArray(ValueLayout.JAVA_BYTE));
            assertArrayEquals(q40, file.data(file.requireTensor("d")).toArray(ValueLayout.JAVA_BYTE));

            GgufHeader header = file.header();
            assertEquals(new GgufHeader(3, 4, 1, 32, header.dataOffset(), bytes.length), header);
            assertEquals(0, header.dataOffset() % 32);
            // llama.cpp's layout: each tensor padded to the alignment, the file ends after the last padding
            assertEquals(header.dataOffset() + 384, bytes.length);
            for (int i = 0; i < tensors.size(); i++) {
                long end = header.dataOffset() + tensors.get(i).offset() + tensors.get(i).byteSize();
                long next = i + 1 < tensors.size() ? header.dataOffset() + tensors.get(i + 1).offset() : bytes.length;
                for (long p = end; p < next; p++) {
                    assertEquals(0, bytes[(int) p], "padding byte " + p);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 8, 64, 4096})
    void alignment_isHonouredForTheDataSectionAndEveryTensor(int alignment) {
        byte[] bytes = Samples.sampleWriter().alignment(alignment).toByteArray();
        try (GgufFile file = parse(bytes)) {
            assertEquals(alignment, file.header().alignment());
            assertEquals(0, file.header().dataOffset() % alignment);
            assertEquals(0, bytes.length % alignment);
            long expectedOffset = 0;
            for (TensorInfo t : file.tensors()) {
                assertEquals(expectedOffset, t.offset(), t.name());
                expectedOffset += (t.byteSize() + alignment - 1) / alignment * alignment;
            }
        }
    }

    @Test
    void version2File_isReadLikeVersion3() {
        byte[] bytes = Samples.sampleFile();
        bytes[4] = 2;
        try (GgufFile v2 = parse(bytes); GgufFile v3 = parse(Samples.sampleFile())) {
            assertEquals(2, v2.header().version());
            assertEquals(v3.metadata().values(), v2.metadata().values());
            assertEquals(v3.tensors(), v2.tensors());
        }
    }

    @Test
    void fileStreamAndByteArray_holdTheSameBytes() throws IOException {
        Path path = GgufWriter.create(dir.resolve("model.gguf")).putAll(parse(Samples.sampleFile()).metadata())
                .addTensor("t", new long[] {2}, new float[] {1, 2}).write();
        GgufWriter same = GgufWriter.create().putAll(parse(Samples.sampleFile()).metadata())
                .addTensor("t", new long[] {2}, new float[] {1, 2});
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        same.writeTo(stream);
        assertArrayEquals(Files.readAllBytes(path), same.toByteArray());
        assertArrayEquals(Files.readAllBytes(path), stream.toByteArray());
        try (GgufFile opened = GgufFile.open(path)) {
            assertEquals(path.toString(), opened.location());
            assertEquals("gguf", opened.format());
            assertEquals(Samples.everyValueType(), opened.metadata().values());
        }
    }

    @Test
    void copyThroughTheWriter_givesIdenticalBytes() throws IOException {
        byte[] original = Samples.sampleWriter().alignment(64).toByteArray();
        Path path = dir.resolve("original.gguf");
        Files.write(path, original);
        try (GgufFile file = GgufFile.open(path)) {
            GgufWriter copy = GgufWriter.create().putAll(file.metadata());
            for (TensorInfo t : file.tensors()) {
                copy.addTensor(t.name(), t.type(), t.dims(), file.data(t));
            }
            assertArrayEquals(original, copy.toByteArray());
        }
    }

    @Test
    void putAgain_replacesTheValueInPlace() {
        byte[] bytes = GgufWriter.create().put("a", "1").putUint32("b", 2).put("a", "3").toByteArray();
        try (GgufFile file = parse(bytes)) {
            assertEquals(List.of("a", "b"), List.copyOf(file.metadata().keys()));
            assertEquals("3", file.metadata().string("a"));
        }
    }

    @Test
    void data_isAReadOnlyViewOfTheInputNotACopy() {
        byte[] bytes = GgufWriter.create().addTensor("t", new long[] {1}, new float[] {1}).toByteArray();
        try (GgufFile file = parse(bytes)) {
            MemorySegment data = file.data(file.requireTensor("t"));
            assertTrue(data.isReadOnly());
            bytes[(int) file.header().dataOffset()] = 42;
            assertEquals(42, data.get(ValueLayout.JAVA_BYTE, 0));
        }
    }

    @Test
    void data_refusesForeignTensorsAndClosedFiles() {
        GgufFile file = parse(Samples.sampleFile());
        TensorInfo real = file.tensors().get(0);
        TensorInfo forged = new TensorInfo(real.name(), real.type(), real.dims(), real.offset() + 32, real.byteSize());
        assertThrows(IllegalArgumentException.class, () -> file.data(forged));
        file.close();
        file.close();
        assertThrows(IllegalStateException.class, () -> file.data(real));
    }

    @Test
    void writer_rejectsTensorsItCannotWrite() {
        GgufWriter writer = GgufWriter.create().addTensor("t", new long[] {2}, new float[] {1, 2});
        assertThrows(IllegalArgumentException.class, () -> writer.addTensor("t", new long[] {1}, new float[] {1}));
        assertThrows(IllegalArgumentException.class, () -> writer.addTensor("x".repeat(64), new long[] {1}, new float[] {1}));
        assertThrows(IllegalArgumentException.class, () -> writer.addTensor("size", new long[] {3}, new float[] {1, 2}));
        assertThrows(IllegalArgumentException.class,
                () -> writer.addTensor("blocks", TensorType.Q4_0, new long[] {33}, new byte[36]));
        assertThrows(IllegalArgumentException.class,
                () -> writer.addTensor("fp8", TensorType.F8_E4M3, new long[] {4}, new byte[4]));
        assertThrows(IllegalArgumentException.class, () -> writer.addTensor("rank0", TensorType.F32, new long[0], new byte[4]));
        assertThrows(IllegalArgumentException.class,
                () -> writer.addTensor("rank5", TensorType.F32, new long[] {1, 1, 1, 1, 1}, new byte[4]));
        assertThrows(IllegalArgumentException.class, () -> writer.addTensor("zero", TensorType.F32, new long[] {0}, new byte[0]));
        assertThrows(IllegalArgumentException.class,
                () -> writer.addTensor("huge", TensorType.F32, new long[] {1L << 62, 4}, new byte[4]));
        writer.addTensor("x".repeat(63), new long[] {1}, new float[] {1});
    }

    @Test
    void writer_rejectsAlignmentsThatAreNotUint32PowersOfTwo() {
        GgufWriter writer = GgufWriter.create();
        assertThrows(IllegalArgumentException.class, () -> writer.alignment(48));
        assertThrows(IllegalArgumentException.class, () -> writer.alignment(0));
        assertThrows(IllegalArgumentException.class, () -> writer.putInt32("general.alignment", 32));
        assertThrows(IllegalArgumentException.class, () -> writer.put("", "empty key"));
        assertThrows(IllegalStateException.class, writer::write);
    }
}
