package dev.petrel.loader.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.petrel.api.ModelFormatException;
import dev.petrel.api.weights.TensorType;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Damaged and hostile safetensors files: each is rejected with a ModelFormatException that
 * names the file, the tensor (or header part) and what was expected.
 */
class SafetensorsHostileFilesTest {

    private static final String NAME = "hostile.safetensors";

    @TempDir
    Path dir;

    private static ModelFormatException rejected(byte[] content) {
        return assertThrows(ModelFormatException.class, () -> SafetensorsFile.parse(NAME, MemorySegment.ofArray(content)));
    }

    private static void assertMessage(ModelFormatException e, String... parts) {
        assertTrue(e.getMessage().startsWith(NAME + ": "), e.getMessage());
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "'" + p + "' missing from: " + e.getMessage());
        }
    }

    @Test
    void validFile_isRead() {
        String json = "{\"__metadata__\":{\"format\":\"pt\"},\"a\":{\"dtype\":\"BF16\",\"shape\":[2,3],"
                + "\"data_offsets\":[0,12]},\"b\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[12,24]}}";
        try (SafetensorsFile f = SafetensorsFile.parse(NAME, MemorySegment.ofArray(Raw.file(json, 24)))) {
            assertEquals(2, f.entries().size());
            assertEquals("pt", f.metadata().get("format"));
            SafetensorsFile.Entry a = f.entries().get("a");
            assertEquals(TensorType.BF16, a.dtype());
            assertArrayEquals(new long[] {3, 2}, a.dims(), "dims are contiguous first");
            assertEquals(12, f.data(a).byteSize());
            assertTrue(f.data(a).isReadOnly());
        }
    }

    @Test
    void tooShortForTheLength() {
        assertMessage(rejected(new byte[5]), "header length", "fewer than the 8");
    }

    @Test
    void headerLength_largerThanTheLimit() {
        byte[] content = Raw.file(SafetensorsFile.MAX_HEADER_BYTES + 1, "{}".getBytes(StandardCharsets.UTF_8), new byte[0]);
        assertMessage(rejected(content), "header length", "expected 2 to " + SafetensorsFile.MAX_HEADER_BYTES);
    }

    @Test
    void headerLength_negativeAsUnsigned() {
        byte[] content = Raw.file(-1L, "{}".getBytes(StandardCharsets.UTF_8), new byte[0]);
        assertMessage(rejected(content), "header length", "18446744073709551615");
    }

    @Test
    void headerLength_pastTheEndOfTheFile() {
        byte[] content = Raw.file(1000, "{}".getBytes(StandardCharsets.UTF_8), new byte[10]);
        assertMessage(rejected(content), "header length", "truncated");
    }

    @Test
    void header_invalidUtf8() {
        byte[] header = {'{', '"', (byte) 0xC3, (byte) 0x28, '"', ':', '1', '}'};
        assertMessage(rejected(Raw.file(header.length, header, new byte[0])), "header", "invalid UTF-8");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"a\": |invalid JSON",
        "[1, 2]|expected a JSON object",
        "{} {}|expected one JSON object, found more after it",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}|Duplicate field 'a'",
        "{\"__metadata__\":{\"k\":1}}|__metadata__.k",
        "{\"__metadata__\":[]}|__metadata__"
    })
    void header_malformed(String json, String expected) {
        assertMessage(rejected(Raw.file(json, 8)), expected);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"w\":3}|w: expected an object with dtype, shape and data_offsets",
        "{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}|w: dtype: expected a string",
        "{\"w\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]}}|w: dtype 'U8' is not supported",
        "{\"w\":{\"dtype\":\"Q4_0\",\"shape\":[4],\"data_offsets\":[0,4]}}|w: dtype 'Q4_0' is not supported",
        "{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}|w: shape: expected an array",
        "{\"w\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1],\"data_offsets\":[0,4]}}|w: shape: 5 dimensions, at most 4",
        "{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}|w: shape[0]: expected a dimension of at least 1",
        "{\"w\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,4]}}|w: shape[0]: expected a dimension of at least 1",
        "{\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}|w: shape[0]: expected a dimension of at least 1",
        "{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],\"data_offsets\":[0,4]}}|w: shape [4294967296,4294967296,4294967296] has more elements than a long",
        "{\"w\":{\"dtype\":\"F64\",\"shape\":[2305843009213693952],\"data_offsets\":[0,4]}}|larger than a long can count",
        "{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}|w: data_offsets: expected [begin, end]",
        "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}|w: data_offsets: expected [begin, end]",
        "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}|w: data_offsets: expected non-negative integers",
        "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[\"0\",4]}}|w: data_offsets: expected non-negative integers",
        "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}|w: data_offsets [8, 4]: the end is before the begin",
        "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}|w: shape [3] of F32 takes 12 bytes, data_offsets [0, 8] hold 8",
        "{\"w\":{\"dtype\":\"BF16\",\"shape\":[2,2],\"data_offsets\":[8,16]}}|w: data_offsets [8, 16] end past the 12 bytes of data; the file is truncated",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}|b: data_offsets [4, 8] overlap those of a [0, 8]"
    })
    void tensor_invalid(String json, String expected) {
        assertMessage(rejected(Raw.file(json, 12)), expected);
    }

    @Test
    void onDisk_truncatedFile_namesThePath() throws IOException {
        String json = "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}";
        byte[] content = Raw.file(json, 16);
        Path file = Files.write(dir.resolve("cut.safetensors"), java.util.Arrays.copyOf(content, content.length - 3));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafetensorsFile.open(file));
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("w: data_offsets [0, 16] end past the 13 bytes"), e.getMessage());
    }

    @Test
    void data_ofAForeignEntry_isRefused() {
        String json = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        try (SafetensorsFile f = SafetensorsFile.parse(NAME, MemorySegment.ofArray(Raw.file(json, 4)))) {
            SafetensorsFile.Entry forged = new SafetensorsFile.Entry("w", TensorType.F32, new long[] {1}, 0, 400);
            assertThrows(IllegalArgumentException.class, () -> f.data(forged));
        }
    }
}
