package dev.petrel.loader.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.petrel.api.ModelFormatException;
import dev.petrel.api.weights.TensorInfo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each kind of damage gives a ModelFormatException naming the file, the field and the expectation. */
class GgufHostileFilesTest {

    private static final int F32 = 0;
    private static final int Q4_0 = 2;

    @TempDir
    Path dir;

    private static void assertFailure(RawGguf file, String field, String... expectations) {
        ModelFormatException e = file.failure();
        assertEquals(RawGguf.SOURCE, e.source());
        assertEquals(field, e.field(), e.getMessage());
        assertTrue(e.getMessage().startsWith(RawGguf.SOURCE + ": " + field + ": "), e.getMessage());
        for (String expected : expectations) {
            assertTrue(e.getMessage().contains(expected), () -> "'" + expected + "' missing from: " + e.getMessage());
        }
    }

    /** A file with one F32 tensor of {@code dims} at {@code offset}, with data up to it. */
    private static RawGguf oneTensor(int type, long offset, long... dims) {
        return RawGguf.header(3, 1, 0).tensorInfo("blk.0.attn_q.weight", type, offset, dims).padAndData(32, 64);
    }

    @Test
    void wrongMagic_isRejected() {
        RawGguf ggml = new RawGguf().bytes("GGML".getBytes(StandardCharsets.US_ASCII)).u32(3).u64(0).u64(0);
        assertFailure(ggml, "header magic", "expected 'GGUF'", "found 'GGML'");
        assertFailure(new RawGguf().bytes(new byte[] {0, 1, 'G', 'G'}), "header magic", "found '\\x00\\x01GG'");
    }

    @Test
    void version1_isRejectedAsNoLongerSupported() {
        assertFailure(RawGguf.header(1, 0, 0), "header version", "v1 is not supported", "expected version 2 or 3");
    }

    @Test
    void unknownVersion_isRejected() {
        assertFailure(RawGguf.header(4, 0, 0), "header version", "expected 2 or 3, found 4");
        assertFailure(RawGguf.header(0x0300_0000L, 0, 0), "header version", "big-endian");
    }

    @Test
    void emptyAndTinyInputs_areTruncated() {
        assertFailure(new RawGguf(), "header magic", "file truncated", "expected 4 bytes at offset 0");
        assertFailure(new RawGguf().bytes("GGUF".getBytes(StandardCharsets.US_ASCII)).u8(3), "header version", "truncated");
        assertFailure(new RawGguf().bytes("GGUF".getBytes(StandardCharsets.US_ASCII)).u32(3).u64(0), "header kv count", "truncated");
    }

    @Test
    void truncationAtAnyByte_isRejected() {
        byte[] valid = Samples.sampleFile();
        long dataEnd;
        try (GgufFile file = RawGguf.parse(valid)) {
            TensorInfo last = file.tensors().getLast();
            dataEnd = file.header().dataOffset() + last.offset() + last.byteSize();
        }
        for (int length = 0; length < dataEnd; length++) {
            byte[] cut = Arrays.copyOf(valid, length);
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> RawGguf.parse(cut), "length " + length);
            assertEquals(RawGguf.SOURCE, e.source());
        }
    }

    @Test
    void absurdCounts_areRejectedBeforeAnythingIsAllocated() {
        assertFailure(RawGguf.header(3, 0, 1L << 60), "header kv count", "declares 1152921504606846976 key/value pairs");
        assertFailure(RawGguf.header(3, -1, 0), "header tensor count", "declares 18446744073709551615 tensor infos");
        assertFailure(RawGguf.header(3, 2, 0).u64(0), "header tensor count", "at least 32 bytes", "only 16 bytes remain");
    }

    @Test
    void absurdStringLengths_areRejected() {
        assertFailure(RawGguf.header(3, 0, 1).u64(1L << 40).bytes(new byte[20]), "key 0 name length",
                "a string of 1099511627776 bytes, but only 20 bytes remain");
        assertFailure(RawGguf.header(3, 0, 1).key("general.name", GgufValueType.STRING).u64(-1), "key 'general.name' string length",
                "18446744073709551615 bytes");
        assertFailure(RawGguf.header(3, 1, 0).u64(Long.MAX_VALUE).u64(0).u64(0).u64(0), "tensor 0 name length", "bytes remain");
    }

    @Test
    void absurdArrayLengths_areRejected() {
        RawGguf tokens = RawGguf.header(3, 0, 1).key("tokenizer.ggml.tokens", GgufValueType.ARRAY)
                .u32(GgufValueType.STRING.id()).u64(1_000_000).string("a").string("b");
        assertFailure(tokens, "key 'tokenizer.ggml.tokens' array length", "1000000 elements of type string",
                "at least 8 bytes each");
        RawGguf floats = RawGguf.header(3, 0, 1).key("scores", GgufValueType.ARRAY)
                .u32(GgufValueType.FLOAT32.id()).u64(3).f32(1).f32(2);
        assertFailure(floats, "key 'scores' array length", "3 elements of type float32 need at least 4 bytes each, only 8");
        RawGguf nested = RawGguf.header(3, 0, 1).key("nested", GgufValueType.ARRAY)
                .u32(GgufValueType.ARRAY.id()).u64(1).u32(GgufValueType.INT64.id()).u64(Long.MAX_VALUE);
        assertFailure(nested, "key 'nested' element array length", "9223372036854775807 elements");
    }

    @Test
    void unknownValueTypes_areRejected() {
        assertFailure(RawGguf.header(3, 0, 1).string("k").u32(13).u32(0), "key 'k' type",
                "expected a value type id from 0 to 12, found 13");
        assertFailure(RawGguf.header(3, 0, 1).key("k", GgufValueType.ARRAY).u32(0xFFFF_FFFFL).u64(0),
                "key 'k' array element type", "found 4294967295");
    }

    @Test
    void badKeysAndValues_areRejected() {
        assertFailure(RawGguf.header(3, 0, 2).uint32Key("k", 1).uint32Key("k", 2), "key 'k'", "appears twice");
        assertFailure(RawGguf.header(3, 0, 1).uint32Key("", 1), "key 0 name", "non-empty");
        assertFailure(RawGguf.header(3, 0, 1).u64(2).bytes(new byte[] {(byte) 0xC3, 0x28}).u32(4).u32(1),
                "key 0 name", "expected UTF-8");
        assertFailure(RawGguf.header(3, 0, 1).key("flag", GgufValueType.BOOL).u8(2), "key 'flag' value",
                "expected a bool stored as 0 or 1, found 2");
    }

    @Test
    void deeplyNestedArrays_areRejected() {
        RawGguf deep = RawGguf.header(3, 0, 1).key("deep", GgufValueType.ARRAY);
        for (int i = 0; i < 100; i++) {
            deep.u32(GgufValueType.ARRAY.id()).u64(1);
        }
        assertFailure(deep.u32(GgufValueType.UINT8.id()).u64(0), "key 'deep' element element element element element element element element",
                "nested deeper than 8 levels");
    }

    @Test
    void badAlignments_areRejected() {
        assertFailure(RawGguf.header(3, 0, 1).uint32Key("general.alignment", 48), "key 'general.alignment'",
                "expected a power of two, found 48");
        assertFailure(RawGguf.header(3, 0, 1).uint32Key("general.alignment", 0), "key 'general.alignment'",
                "power of two, found 0");
        assertFailure(RawGguf.header(3, 0, 1).key("general.alignment", GgufValueType.INT32).u32(32),
                "key 'general.alignment' type", "expected uint32, found int32 32");
    }

    @Test
    void badDimensions_areRejected() {
        assertFailure(oneTensor(F32, 0, 1, 1, 1, 1, 1), "tensor 'blk.0.attn_q.weight' dimension count", "expected 1 to 4, found 5");
        assertFailure(oneTensor(F32, 0), "tensor 'blk.0.attn_q.weight' dimension count", "found 0");
        assertFailure(oneTensor(F32, 0, 4, 0), "tensor 'blk.0.attn_q.weight' dimension 1", "expected at least 1, found 0");
        assertFailure(oneTensor(F32, 0, -5), "tensor 'blk.0.attn_q.weight' dimension 0", "found 18446744073709551611");
    }

    @Test
    void overflowingSizes_areRejected() {
        assertFailure(oneTensor(F32, 0, 1L << 32, 1L << 32), "tensor 'blk.0.attn_q.weight' element count", "past 2^63");
        assertFailure(oneTensor(F32, 0, 1L << 31, 1L << 31), "tensor 'blk.0.attn_q.weight' byte size", "more than 2^63 bytes");
        assertFailure(oneTensor(F32, 0, 1L << 40), "tensor 'blk.0.attn_q.weight' offset", "end past the end of the file");
    }

    @Test
    void rowsThatAreNotWholeBlocks_areRejected() {
        assertFailure(oneTensor(Q4_0, 0, 33), "tensor 'blk.0.attn_q.weight' row size",
                "rows of 33 elements are not a multiple of the Q4_0 block size 32");
    }

    @Test
    void unknownTensorTypes_areRejected() {
        for (long id : new long[] {4, 5, 31, 36, 40, 1000, 0xFFFF_FFFFL}) {
            assertFailure(oneTensor((int) id, 0, 4), "tensor 'blk.0.attn_q.weight' type", "unknown ggml type id " + id, "Q8_0=8");
        }
    }

    @Test
    void badOffsets_areRejected() {
        assertFailure(oneTensor(F32, 16, 4), "tensor 'blk.0.attn_q.weight' offset",
                "expected a multiple of the alignment 32, found 16");
        assertFailure(oneTensor(F32, 64, 4), "tensor 'blk.0.attn_q.weight' offset", "end past the end of the file");
        assertFailure(oneTensor(F32, -32, 4), "tensor 'blk.0.attn_q.weight' offset", "18446744073709551584");
        RawGguf noDataSection = RawGguf.header(3, 1, 0).tensorInfo("t", F32, 0, 1);
        assertFailure(noDataSection, "tensor 't' offset", "end past the end of the file");
    }

    @Test
    void overlappingTensors_areRejected() {
        RawGguf overlap = RawGguf.header(3, 2, 0)
                .tensorInfo("a", F32, 0, 16)
                .tensorInfo("b", F32, 32, 4)
                .padAndData(32, 128);
        assertFailure(overlap, "tensor 'b' offset", "overlaps tensor 'a' (bytes 0 to 64)");
        RawGguf same = RawGguf.header(3, 2, 0).tensorInfo("a", F32, 0, 4).tensorInfo("b", F32, 0, 4).padAndData(32, 64);
        assertFailure(same, "tensor 'b' offset", "overlaps tensor 'a'");
    }

    @Test
    void tensorsInAnyOrderWithGaps_areAccepted() {
        RawGguf shuffled = RawGguf.header(3, 2, 0).tensorInfo("late", F32, 64, 4).tensorInfo("early", F32, 0, 4).padAndData(32, 96);
        try (GgufFile file = shuffled.parse()) {
            assertEquals(64, file.requireTensor("late").offset());
        }
    }

    @Test
    void duplicateTensorNames_areRejected() {
        RawGguf twice = RawGguf.header(3, 2, 0).tensorInfo("w", F32, 0, 4).tensorInfo("w", F32, 32, 4).padAndData(32, 64);
        assertFailure(twice, "tensor 'w' name", "appears twice");
    }

    @Test
    void overlongTensorNames_areRejected() {
        RawGguf longName = RawGguf.header(3, 1, 0).tensorInfo("n".repeat(65), F32, 0, 4).padAndData(32, 32);
        assertFailure(longName, "tensor 0 name", "65 bytes long, GGUF allows at most 64");
    }

    @Test
    void hostileFileOnDisk_namesThePath() throws IOException {
        Path path = dir.resolve("broken.gguf");
        Files.write(path, Arrays.copyOf(Samples.sampleFile(), 100));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> GgufFile.open(path));
        assertEquals(path.toString(), e.source());
        assertTrue(e.getMessage().startsWith(path + ": "), e.getMessage());

        Path empty = Files.createFile(dir.resolve("empty.gguf"));
        assertEquals("header magic", assertThrows(ModelFormatException.class, () -> GgufFile.open(empty)).field());
    }
}
