package dev.petrel.loader.safetensors;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.petrel.api.ModelFormatException;
import dev.petrel.api.weights.TensorType;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One {@code .safetensors} file, memory-mapped: an 8-byte little-endian header length, a JSON
 * header naming each tensor's dtype, shape and byte range, then the data.
 *
 * <p>The header is validated before anything is used: its length is bounded and inside the
 * file, it is UTF-8 JSON without duplicate keys, every dtype is known, every shape × dtype
 * size equals its byte range, every range lies inside the data and no two overlap. Every
 * problem is a {@link ModelFormatException} naming the file, the tensor and what was
 * expected. Parsing allocates at most a small multiple of the header's length.
 */
public final class SafetensorsFile implements AutoCloseable {

    /** The largest header accepted (the reference implementation's limit). */
    public static final long MAX_HEADER_BYTES = 100L << 20;
    /** Dimensions a tensor may have (TensorInfo holds 1 to 4; a scalar is read as {1}). */
    static final int MAX_RANK = 4;

    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build())
            .build());

    /**
     * One tensor as the file lists it.
     *
     * @param name the name in the file
     * @param dtype the safetensors dtype as a Petrel type
     * @param shape dimensions outermost first, as the file lists them
     * @param begin first byte, from the start of the data
     * @param end one past the last byte
     */
    public record Entry(String name, TensorType dtype, long[] shape, long begin, long end) {

        public Entry {
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        public long byteSize() {
            return end - begin;
        }

        /** Dimensions contiguous first, as {@link dev.petrel.api.weights.TensorInfo} has them. */
        public long[] dims() {
            long[] dims = new long[Math.max(1, shape.length)];
            Arrays.fill(dims, 1);
            for (int i = 0; i < shape.length; i++) {
                dims[i] = shape[shape.length - 1 - i];
            }
            return dims;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Entry e && name.equals(e.name) && dtype == e.dtype && Arrays.equals(shape, e.shape)
                    && begin == e.begin && end == e.end;
        }

        @Override
        public int hashCode() {
            return name.hashCode() * 31 + Long.hashCode(begin);
        }

        @Override
        public String toString() {
            return name + " " + dtype + " " + Arrays.toString(shape) + " [" + begin + ", " + end + ")";
        }
    }

    private final String location;
    private final MemorySegment data;
    private final Arena arena;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;
    private final AtomicBoolean closed = new AtomicBoolean();

    private SafetensorsFile(String location, MemorySegment content, Arena arena) {
        this.location = location;
        this.arena = arena;
        long size = content.byteSize();
        if (size < 8) {
            throw error("header length", "the file has " + size + " bytes, fewer than the 8 of the header length");
        }
        long headerLength = content.get(LONG_LE, 0);
        if (headerLength < 2 || headerLength > MAX_HEADER_BYTES) {
            throw error("header length", "expected 2 to " + MAX_HEADER_BYTES + " bytes of JSON, found "
                    + Long.toUnsignedString(headerLength));
        }
        if (headerLength > size - 8) {
            throw error("header length", headerLength + " bytes of JSON do not fit in the " + (size - 8)
                    + " bytes after the length; the file is truncated or not safetensors");
        }
        this.data = content.asSlice(8 + headerLength);
        byte[] header = content.asSlice(8, headerLength).toArray(ValueLayout.JAVA_BYTE);
        ObjectNode root = parseHeader(header);
        Map<String, String> meta = new LinkedHashMap<>();
        List<Entry> list = new ArrayList<>();
        Iterator<Map.Entry<String, JsonNode>> fields = root.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            if (field.getKey().equals("__metadata__")) {
                readMetadata(field.getValue(), meta);
            } else {
                list.add(entry(field.getKey(), field.getValue()));
            }
        }
        checkOverlaps(list);
        Map<String, Entry> byName = new LinkedHashMap<>();
        list.forEach(e -> byName.put(e.name(), e));
        this.entries = Collections.unmodifiableMap(byName);
        this.metadata = Collections.unmodifiableMap(meta);
    }

    /**
     * Maps {@code path} read-only and validates its header.
     *
     * @throws ModelFormatException if the content is not valid safetensors
     * @throws IOException if the file cannot be opened or mapped
     */
    public static SafetensorsFile open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
            return new SafetensorsFile(path.toString(), mapped, arena);
        } catch (Throwable e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Reads safetensors content already in memory; the caller keeps ownership of it.
     *
     * @param source a name for messages
     */
    public static SafetensorsFile parse(String source, MemorySegment content) {
        return new SafetensorsFile(source, content.asReadOnly(), null);
    }

    public String location() {
        return location;
    }

    /** Tensors in the order of the header. */
    public Map<String, Entry> entries() {
        return entries;
    }

    /** The header's {@code __metadata__} strings. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** The bytes of an entry of this file, read-only, not copied. */
    public MemorySegment data(Entry entry) {
        if (closed.get()) {
            throw new IllegalStateException(location + " is closed");
        }
        if (!entry.equals(entries.get(entry.name()))) {
            throw new IllegalArgumentException(entry + " is not a tensor of " + location);
        }
        return data.asSlice(entry.begin(), entry.byteSize()).asReadOnly();
    }

    /** Unmaps the file (nothing for parsed content). Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true) && arena != null) {
            arena.close();
        }
    }

    // ---- header ----------------------------------------------------------------------

    private ObjectNode parseHeader(byte[] header) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(header)).toString();
        } catch (CharacterCodingException e) {
            throw error("header", "expected UTF-8 JSON, found invalid UTF-8");
        }
        JsonNode root;
        try (JsonParser parser = JSON.createParser(text)) {
            root = JSON.readTree(parser);
            if (parser.nextToken() != null) {
                throw error("header", "expected one JSON object, found more after it");
            }
        } catch (JsonProcessingException e) {
            throw error("header", "invalid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw error("header", "unreadable JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw error("header", "expected a JSON object of tensors, found "
                    + (root == null ? "nothing" : root.getNodeType()));
        }
        return (ObjectNode) root;
    }

    private void readMetadata(JsonNode node, Map<String, String> into) {
        if (!node.isObject()) {
            throw error("__metadata__", "expected an object of strings, found " + node.getNodeType());
        }
        Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> f = fields.next();
            if (!f.getValue().isTextual()) {
                throw error("__metadata__." + f.getKey(), "expected a string, found " + f.getValue().getNodeType());
            }
            into.put(f.getKey(), f.getValue().textValue());
        }
    }

    private Entry entry(String name, JsonNode node) {
        if (!node.isObject()) {
            throw error(name, "expected an object with dtype, shape and data_offsets, found " + node.getNodeType());
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw error(name, "dtype: expected a string such as \"BF16\"");
        }
        TensorType dtype = dtype(name, dtypeNode.textValue());
        JsonNode shapeNode = node.get("shape");
        if (shapeNode == null || !shapeNode.isArray()) {
            throw error(name, "shape: expected an array of dimensions");
        }
        if (shapeNode.size() > MAX_RANK) {
            throw error(name, "shape: " + shapeNode.size() + " dimensions, at most " + MAX_RANK + " are supported");
        }
        long[] shape = new long[shapeNode.size()];
        long elements = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.isIntegralNumber() || !d.canConvertToLong() || d.longValue() < 1) {
                throw error(name, "shape[" + i + "]: expected a dimension of at least 1, found " + d);
            }
            shape[i] = d.longValue();
            try {
                elements = Math.multiplyExact(elements, shape[i]);
            } catch (ArithmeticException e) {
                throw error(name, "shape " + shapeNode + " has more elements than a long can count");
            }
        }
        JsonNode offsets = node.get("data_offsets");
        if (offsets == null || !offsets.isArray() || offsets.size() != 2) {
            throw error(name, "data_offsets: expected [begin, end]");
        }
        long begin = offset(name, offsets.get(0));
        long end = offset(name, offsets.get(1));
        if (end < begin) {
            throw error(name, "data_offsets [" + begin + ", " + end + "]: the end is before the begin");
        }
        long expected;
        try {
            expected = Math.multiplyExact(elements, (long) dtype.blockBytes());
        } catch (ArithmeticException e) {
            throw error(name, "shape " + shapeNode + " of " + dtype + " is larger than a long can count");
        }
        if (end - begin != expected) {
            throw error(name, "shape " + shapeNode + " of " + dtype + " takes " + expected
                    + " bytes, data_offsets [" + begin + ", " + end + "] hold " + (end - begin));
        }
        if (end > data.byteSize()) {
            throw error(name, "data_offsets [" + begin + ", " + end + "] end past the " + data.byteSize()
                    + " bytes of data; the file is truncated");
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    private long offset(String name, JsonNode node) {
        if (node == null || !node.isIntegralNumber() || !node.canConvertToLong() || node.longValue() < 0) {
            throw error(name, "data_offsets: expected non-negative integers, found " + node);
        }
        return node.longValue();
    }

    private void checkOverlaps(List<Entry> list) {
        List<Entry> sorted = new ArrayList<>(list);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        for (int i = 1; i < sorted.size(); i++) {
            Entry a = sorted.get(i - 1);
            Entry b = sorted.get(i);
            if (b.begin() < a.end()) {
                throw error(b.name(), "data_offsets [" + b.begin() + ", " + b.end() + "] overlap those of " + a.name()
                        + " [" + a.begin() + ", " + a.end() + "]");
            }
        }
    }

    /** Safetensors dtypes Petrel can hold; others are named in the error. */
    static TensorType dtype(String tensor, String dtype, String location) {
        return switch (dtype) {
            case "F32" -> TensorType.F32;
            case "F16" -> TensorType.F16;
            case "BF16" -> TensorType.BF16;
            case "F64" -> TensorType.F64;
            case "F8_E4M3" -> TensorType.F8_E4M3;
            case "F8_E5M2" -> TensorType.F8_E5M2;
            case "I8" -> TensorType.I8;
            case "I16" -> TensorType.I16;
            case "I32" -> TensorType.I32;
            case "I64" -> TensorType.I64;
            default -> throw new ModelFormatException(location, tensor, "dtype '" + dtype
                    + "' is not supported; expected one of F32, F16, BF16, F64, F8_E4M3, F8_E5M2, I8, I16, I32, I64");
        };
    }

    private TensorType dtype(String tensor, String dtype) {
        return dtype(tensor, dtype, location);
    }

    private ModelFormatException error(String field, String problem) {
        return new ModelFormatException(location, field, problem);
    }

    @Override
    public String toString() {
        return "SafetensorsFile[" + location + ", " + entries.size() + " tensors]";
    }
}
