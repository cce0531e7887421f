package dev.petrel.loader.gguf;

import dev.petrel.api.ModelFormatException;
import dev.petrel.api.weights.TensorInfo;
import dev.petrel.api.weights.TensorType;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Reads the header of a GGUF file (everything before the tensor data) from a memory segment,
 * validating as it goes.
 *
 * <p>The input is hostile until proven otherwise: every declared count or length is checked
 * against the bytes that remain before anything is allocated for it, so a parse allocates in
 * proportion to the real input, and every failure is a {@link ModelFormatException} naming
 * the field.
 */
final class GgufParser {

    record Result(GgufHeader header, GgufMetadata metadata, List<TensorInfo> tensors) {
    }

    /** Real files nest arrays once at most; the limit keeps hostile nesting off the stack. */
    static final int MAX_ARRAY_NESTING = 8;

    /** The GGUF specification caps tensor names at 64 bytes. */
    static final int MAX_TENSOR_NAME_BYTES = 64;

    /** Smallest key/value pair: key length, a one-byte key, type id, a one-byte value. */
    private static final int MIN_KV_BYTES = 8 + 1 + 4 + 1;

    /** Smallest tensor info: name length, dimension count, one dimension, type id, offset. */
    private static final int MIN_TENSOR_INFO_BYTES = 8 + 4 + 8 + 4 + 8;

    /** Smallest array element that is itself an array: element type id and length. */
    private static final int MIN_INNER_ARRAY_BYTES = 4 + 8;

    private final SegmentReader in;

    private GgufParser(String source, MemorySegment content) {
        this.in = new SegmentReader(source, content);
    }

    static Result parse(String source, MemorySegment content) {
        return new GgufParser(source, content).parse();
    }

    private Result parse() {
        checkMagic();
        int version = readVersion();
        long tensorCount = readCount("header tensor count", MIN_TENSOR_INFO_BYTES, "tensor infos");
        long kvCount = readCount("header kv count", MIN_KV_BYTES, "key/value pairs");
        LinkedHashMap<String, GgufValue> values = readKeyValues(kvCount);
        long alignment = alignment(values);
        List<TensorInfo> tensors = readTensorInfos(tensorCount, alignment);
        long dataOffset = GgufLayout.alignUp(in.position(), alignment);
        checkInsideFile(tensors, dataOffset);
        checkNoOverlap(tensors);
        GgufHeader header = new GgufHeader(version, tensorCount, kvCount, alignment, dataOffset, in.size());
        return new Result(header, new GgufMetadata(in.source(), values), List.copyOf(tensors));
    }

    private void checkMagic() {
        byte[] magic = in.bytes(GgufLayout.MAGIC.length, "header magic");
        if (!Arrays.equals(magic, GgufLayout.MAGIC)) {
            throw fail("header magic", "expected 'GGUF', found " + printable(magic) + "; not a GGUF file");
        }
    }

    private int readVersion() {
        long version = in.u32("header version", "");
        if (version == 1) {
            throw fail("header version", "GGUF v1 is not supported (its counts are 32-bit); expected version 2 or 3");
        }
        if (version != 2 && version != 3) {
            String hint = (version & 0xFFFF) == 0 ? " (the byte order looks swapped: a big-endian file?)" : "";
            throw fail("header version", "expected 2 or 3, found " + version + hint);
        }
        return (int) version;
    }

    /** A count whose items take at least {@code minBytes} each, checked against what remains. */
    private long readCount(String field, int minBytes, String items) {
        long count = in.u64(field, "");
        if (count < 0 || count > in.remaining() / minBytes) {
            throw fail(field, "declares " + Long.toUnsignedString(count) + " " + items + ", but each takes at least "
                    + minBytes + " bytes and only " + in.remaining() + " bytes remain");
        }
        return count;
    }

    private LinkedHashMap<String, GgufValue> readKeyValues(long kvCount) {
        LinkedHashMap<String, GgufValue> values = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            String key = readStrictString("key " + i + " name");
            if (key.isEmpty()) {
                throw fail("key " + i + " name", "expected a non-empty key");
            }
            String field = "key '" + abbreviate(key) + "'";
            if (values.containsKey(key)) {
                throw fail(field, "appears twice; keys must be unique");
            }
            GgufValueType type = readType(field, " type");
            values.put(key, readValue(type, field, 0));
        }
        return values;
    }

    private GgufValueType readType(String field, String part) {
        long id = in.u32(field, part);
        return GgufValueType.ofId(id).orElseThrow(
                () -> fail(field + part, "expected a value type id from 0 to 12, found " + id));
    }

    private GgufValue readValue(GgufValueType type, String field, int depth) {
        return switch (type) {
            case UINT8 -> GgufValue.ofScalar(type, in.u8(field, " value") & 0xFF);
            case INT8 -> GgufValue.ofScalar(type, (int) in.u8(field, " value"));
            case UINT16 -> GgufValue.ofScalar(type, in.u16(field, " value") & 0xFFFF);
            case INT16 -> GgufValue.ofScalar(type, (int) in.u16(field, " value"));
            case UINT32 -> GgufValue.ofScalar(type, in.u32(field, " value"));
            case INT32 -> GgufValue.ofScalar(type, (int) in.u32(field, " value"));
            case FLOAT32 -> GgufValue.ofScalar(type, Float.intBitsToFloat((int) in.u32(field, " value")));
            case BOOL -> GgufValue.ofScalar(type, bool(field));
            case STRING -> GgufValue.ofScalar(type, readString(field + " string"));
            case ARRAY -> readArray(field, depth);
            case UINT64, INT64 -> GgufValue.ofScalar(type, in.u64(field, " value"));
            case FLOAT64 -> GgufValue.ofScalar(type, Double.longBitsToDouble(in.u64(field, " value")));
        };
    }

    private GgufValue readArray(String field, int depth) {
        if (depth >= MAX_ARRAY_NESTING) {
            throw fail(field, "arrays nested deeper than " + MAX_ARRAY_NESTING + " levels");
        }
        GgufValueType elementType = readType(field, " array element type");
        long declared = in.u64(field, " array length");
        long minBytes = switch (elementType) {
            case STRING -> 8;
            case ARRAY -> MIN_INNER_ARRAY_BYTES;
            default -> elementType.fixedSize();
        };
        if (declared < 0 || declared > in.remaining() / minBytes) {
            throw fail(field + " array length", Long.toUnsignedString(declared) + " elements of type "
                    + elementType.label() + " need at least " + minBytes + " bytes each, only " + in.remaining()
                    + " bytes remain");
        }
        if (declared > SegmentReader.MAX_ARRAY_LENGTH) {
            throw fail(field + " array length", declared + " elements, more than a Java array holds");
        }
        int n = (int) declared;
        if (elementType == GgufValueType.ARRAY) {
            String elementField = field + " element";
            List<GgufValue> arrays = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                arrays.add(readArray(elementField, depth + 1));
            }
            return GgufValue.ofArrays(arrays);
        }
        Object elements = switch (elementType) {
            case BOOL -> readBools(field, n);
            case STRING -> readStrings(field, n);
            default -> in.numbers(elementType, n, field);
        };
        return GgufValue.ofArray(elementType, elements);
    }

    private boolean[] readBools(String field, int n) {
        boolean[] a = new boolean[n];
        for (int i = 0; i < n; i++) {
            a[i] = bool(field);
        }
        return a;
    }

    private List<String> readStrings(String field, int n) {
        String elementField = field + " element";
        List<String> strings = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            strings.add(readString(elementField));
        }
        return Collections.unmodifiableList(strings);
    }

    private List<TensorInfo> readTensorInfos(long tensorCount, long alignment) {
        List<TensorInfo> tensors = new ArrayList<>((int) Math.min(tensorCount, 1 << 16));
        Set<String> names = new HashSet<>();
        for (long i = 0; i < tensorCount; i++) {
            String nameField = "tensor " + i + " name";
            byte[] utf8 = in.lengthPrefixedBytes(nameField);
            String name = decodeStrict(utf8, nameField);
            if (utf8.length > MAX_TENSOR_NAME_BYTES) {
                throw fail(nameField, "'" + abbreviate(name) + "' is " + utf8.length + " bytes long, GGUF allows at most "
                        + MAX_TENSOR_NAME_BYTES);
            }
            String field = "tensor '" + name + "'";
            if (!names.add(name)) {
                throw fail(field + " name", "appears twice; tensor names must be unique");
            }
            long[] dims = readDims(field);
            TensorType type = readTensorType(field);
            long offset = in.u64(field, " offset");
            long byteSize = byteSize(field, type, dims);
            if (Long.remainderUnsigned(offset, alignment) != 0) {
                throw fail(field + " offset", "expected a multiple of the alignment " + alignment + ", found "
                        + Long.toUnsignedString(offset));
            }
            tensors.add(new TensorInfo(name, type, dims, offset, byteSize));
        }
        return tensors;
    }

    private TensorType readTensorType(String field) {
        long id = in.u32(field, " type");
        Optional<TensorType> type = id <= Integer.MAX_VALUE ? TensorType.ofGgmlId((int) id) : Optional.empty();
        return type.orElseThrow(() -> fail(field + " type", "unknown ggml type id " + id + "; expected one of " + knownTypes()));
    }

    private long[] readDims(String field) {
        long count = in.u32(field, " dimension count");
        if (count < 1 || count > GgufLayout.MAX_DIMS) {
            throw fail(field + " dimension count", "expected 1 to " + GgufLayout.MAX_DIMS + ", found " + count);
        }
        long[] dims = new long[(int) count];
        for (int j = 0; j < dims.length; j++) {
            dims[j] = in.u64(field, " dimension " + j);
            if (dims[j] < 1) {
                throw fail(field + " dimension " + j, "expected at least 1, found " + Long.toUnsignedString(dims[j]));
            }
        }
        return dims;
    }

    private long byteSize(String field, TensorType type, long[] dims) {
        try {
            GgufLayout.elementCount(dims);
        } catch (ArithmeticException e) {
            throw fail(field + " element count", "dimensions " + Arrays.toString(dims) + " multiply past 2^63");
        }
        if (dims[0] % type.blockSize() != 0) {
            throw fail(field + " row size", "rows of " + dims[0] + " elements are not a multiple of the " + type
                    + " block size " + type.blockSize());
        }
        try {
            return GgufLayout.tensorBytes(type, dims);
        } catch (ArithmeticException e) {
            throw fail(field + " byte size", "dimensions " + Arrays.toString(dims) + " of " + type
                    + " take more than 2^63 bytes");
        }
    }

    private long alignment(LinkedHashMap<String, GgufValue> values) {
        GgufValue value = values.get(GgufLayout.ALIGNMENT_KEY);
        if (value == null) {
            return GgufLayout.DEFAULT_ALIGNMENT;
        }
        String field = "key '" + GgufLayout.ALIGNMENT_KEY + "'";
        if (value.type() != GgufValueType.UINT32) {
            throw fail(field + " type", "expected uint32, found " + value);
        }
        long alignment = (Long) value.value();
        if (!GgufLayout.isValidAlignment(alignment)) {
            throw fail(field, "expected a power of two, found " + alignment);
        }
        return alignment;
    }

    /** Tensor data must lie inside the file, so that a slice of the mapping never fails later. */
    private void checkInsideFile(List<TensorInfo> tensors, long dataOffset) {
        long available = in.size() - dataOffset;
        for (TensorInfo t : tensors) {
            long offset = t.offset();
            if (offset < 0 || available < offset || t.byteSize() > available - offset) {
                throw fail("tensor '" + t.name() + "' offset", "its " + t.byteSize() + " bytes at "
                        + Long.toUnsignedString(offset) + " in the data section (which starts at " + dataOffset
                        + ") end past the end of the file, " + in.size() + " bytes; expected them inside the file");
            }
        }
    }

    private void checkNoOverlap(List<TensorInfo> tensors) {
        List<TensorInfo> byOffset = new ArrayList<>(tensors);
        byOffset.sort(Comparator.comparingLong(TensorInfo::offset));
        for (int i = 1; i < byOffset.size(); i++) {
            TensorInfo previous = byOffset.get(i - 1);
            TensorInfo current = byOffset.get(i);
            long previousEnd = previous.offset() + previous.byteSize();
            if (previousEnd > current.offset()) {
                throw fail("tensor '" + current.name() + "' offset", "its data at " + current.offset()
                        + " overlaps tensor '" + previous.name() + "' (bytes " + previous.offset() + " to "
                        + previousEnd + "); expected tensors not to share bytes");
            }
        }
    }

    // Strings

    /** A string value; bytes that are not UTF-8 become U+FFFD, as a value need not be text. */
    private String readString(String field) {
        byte[] utf8 = in.lengthPrefixedBytes(field);
        return utf8.length == 0 ? "" : new String(utf8, StandardCharsets.UTF_8);
    }

    /** A key or tensor name, which must be valid UTF-8 to be looked up faithfully. */
    private String readStrictString(String field) {
        return decodeStrict(in.lengthPrefixedBytes(field), field);
    }

    private String decodeStrict(byte[] utf8, String field) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(utf8))
                    .toString();
        } catch (CharacterCodingException e) {
            throw fail(field, "expected UTF-8 text, found invalid bytes");
        }
    }

    private boolean bool(String field) {
        byte b = in.u8(field, " value");
        if (b != 0 && b != 1) {
            throw fail(field + " value", "expected a bool stored as 0 or 1, found " + (b & 0xFF));
        }
        return b == 1;
    }

    private ModelFormatException fail(String field, String problem) {
        return in.fail(field, problem);
    }

    private static String printable(byte[] bytes) {
        StringBuilder s = new StringBuilder("'");
        for (byte b : bytes) {
            s.append(b >= 0x20 && b < 0x7F ? String.valueOf((char) b) : String.format("\\x%02x", b & 0xFF));
        }
        return s.append('\'').toString();
    }

    private static String abbreviate(String s) {
        return s.length() <= 120 ? s : s.substring(0, 120) + "...";
    }

    private static List<String> knownTypes() {
        List<String> known = new ArrayList<>();
        for (TensorType t : TensorType.values()) {
            if (t.ggmlId() >= 0) {
                known.add(t + "=" + t.ggmlId());
            }
        }
        return known;
    }
}
