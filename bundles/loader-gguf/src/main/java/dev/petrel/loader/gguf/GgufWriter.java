package dev.petrel.loader.gguf;

import dev.petrel.api.weights.TensorType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Builds a GGUF v3 file: metadata of every type, tensor infos and tensor data, laid out as
 * llama.cpp writes and expects it (strings as uint64 length and bytes, the data section and
 * every tensor padded with zeros to {@code general.alignment}, tensors stored in the order they
 * were added).
 *
 * <pre>{@code
 * GgufWriter.create(path)
 *         .put("general.architecture", "llama")
 *         .putUint32("llama.block_count", 2)
 *         .putStrings("tokenizer.ggml.tokens", tokens)
 *         .addTensor("token_embd.weight", new long[] {64, 100}, embeddings)
 *         .write();
 * }</pre>
 *
 * <p>Keys keep the order of their first {@code put}; putting a key again replaces its value in
 * place. Tensor data given as a byte array or memory segment is read when the file is written,
 * not copied before. Arrays of arrays are valid GGUF and read back by {@link GgufFile}, but
 * llama.cpp's loader rejects them: leave them out of files meant for llama.cpp.
 * Invalid input (a value of the wrong size, a duplicate tensor) is an
 * {@link IllegalArgumentException} at the call that gives it.
 */
public final class GgufWriter {

    /** llama.cpp stores names in 64 bytes including a terminating NUL. */
    public static final int MAX_TENSOR_NAME_BYTES = 63;

    private static final long CHUNK_BYTES = 1 << 24;
    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private record PendingTensor(String name, TensorType type, long[] dims, MemorySegment data) {
    }

    private final Path target;
    private final Map<String, GgufValue> values = new LinkedHashMap<>();
    private final Map<String, PendingTensor> tensors = new LinkedHashMap<>();

    private GgufWriter(Path target) {
        this.target = target;
    }

    /** A writer whose {@link #write()} writes to {@code target}. */
    public static GgufWriter create(Path target) {
        return new GgufWriter(Objects.requireNonNull(target, "target"));
    }

    /** A writer without a target, for {@link #toByteArray()} and {@link #writeTo}. */
    public static GgufWriter create() {
        return new GgufWriter(null);
    }

    // Metadata

    /** Puts a value of any type; {@code general.alignment} must be an uint32 power of two. */
    public GgufWriter put(String key, GgufValue value) {
        Objects.requireNonNull(value, "value");
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("a metadata key must not be empty");
        }
        if (key.equals(GgufLayout.ALIGNMENT_KEY)) {
            checkAlignment(value);
        }
        values.put(key, value);
        return this;
    }

    public GgufWriter put(String key, String value) {
        return put(key, GgufValue.string(value));
    }

    public GgufWriter put(String key, boolean value) {
        return put(key, GgufValue.bool(value));
    }

    public GgufWriter putUint8(String key, int value) {
        return put(key, GgufValue.uint8(value));
    }

    public GgufWriter putInt8(String key, int value) {
        return put(key, GgufValue.int8(value));
    }

    public GgufWriter putUint16(String key, int value) {
        return put(key, GgufValue.uint16(value));
    }

    public GgufWriter putInt16(String key, int value) {
        return put(key, GgufValue.int16(value));
    }

    public GgufWriter putUint32(String key, long value) {
        return put(key, GgufValue.uint32(value));
    }

    public GgufWriter putInt32(String key, int value) {
        return put(key, GgufValue.int32(value));
    }

    /** An unsigned 64-bit value given by its bits. */
    public GgufWriter putUint64(String key, long bits) {
        return put(key, GgufValue.uint64(bits));
    }

    public GgufWriter putInt64(String key, long value) {
        return put(key, GgufValue.int64(value));
    }

    public GgufWriter putFloat32(String key, float value) {
        return put(key, GgufValue.float32(value));
    }

    public GgufWriter putFloat64(String key, double value) {
        return put(key, GgufValue.float64(value));
    }

    /** An array, given as {@link GgufValue#array} takes it ({@code int[]} for uint8, ...). */
    public GgufWriter putArray(String key, GgufValueType elementType, Object values) {
        return put(key, GgufValue.array(elementType, values));
    }

    public GgufWriter putStrings(String key, List<String> values) {
        return put(key, GgufValue.strings(values));
    }

    /** Every key of {@code metadata} with its exact type, in its order. */
    public GgufWriter putAll(GgufMetadata metadata) {
        metadata.values().forEach(this::put);
        return this;
    }

    public GgufWriter remove(String key) {
        values.remove(key);
        return this;
    }

    /** Sets {@code general.alignment}: a power of two; 32 when never set. */
    public GgufWriter alignment(int alignment) {
        return put(GgufLayout.ALIGNMENT_KEY, GgufValue.uint32(alignment));
    }

    // Tensors

    /**
     * Adds a tensor whose data is {@code data}, read when the file is written.
     *
     * @param dims dimensions, contiguous first (1 to 4, each at least 1)
     * @throws IllegalArgumentException if GGUF cannot store the type, the shape is not valid for
     *     the type, the name is taken or too long, or the data has another size
     */
    public GgufWriter addTensor(String name, TensorType type, long[] dims, MemorySegment data) {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(data, "data");
        checkName(name);
        if (type.ggmlId() < 0) {
            throw new IllegalArgumentException("tensor '" + name + "': GGUF cannot store " + type);
        }
        long[] shape = dims.clone();
        long bytes = tensorBytes(name, type, shape);
        if (data.byteSize() != bytes) {
            throw new IllegalArgumentException("tensor '" + name + "': " + type + " " + Arrays.toString(shape)
                    + " takes " + bytes + " bytes, the data has " + data.byteSize());
        }
        tensors.put(name, new PendingTensor(name, type, shape, data));
        return this;
    }

    /** Adds a tensor whose data is {@code data}, read (not copied) when the file is written. */
    public GgufWriter addTensor(String name, TensorType type, long[] dims, byte[] data) {
        return addTensor(name, type, dims, MemorySegment.ofArray(data));
    }

    /** Adds an F32 tensor; the values are copied now, as little-endian bytes. */
    public GgufWriter addTensor(String name, long[] dims, float[] values) {
        if (values.length > (Integer.MAX_VALUE - 8) / Float.BYTES) {
            throw new IllegalArgumentException("tensor '" + name + "': too many floats for one array; give a MemorySegment");
        }
        byte[] bytes = new byte[values.length * Float.BYTES];
        MemorySegment.copy(values, 0, MemorySegment.ofArray(bytes), LE_FLOAT, 0, values.length);
        return addTensor(name, TensorType.F32, dims, bytes);
    }

    // Output

    /**
     * Writes the file to the path given to {@link #create(Path)}, replacing what was there.
     *
     * @return the path written
     */
    public Path write() throws IOException {
        if (target == null) {
            throw new IllegalStateException("no target path: use create(Path), or writeTo or toByteArray");
        }
        try (FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            writeTo(out);
        }
        return target;
    }

    /** Writes the file to {@code out}, which stays open. */
    public void writeTo(OutputStream out) throws IOException {
        writeTo(Channels.newChannel(out));
        out.flush();
    }

    /** The whole file in memory, for tests and small models. */
    public byte[] toByteArray() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            writeTo(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private void writeTo(WritableByteChannel out) throws IOException {
        long alignment = alignment();
        LittleEndianBuffer header = encodeHeader(alignment);
        writeFully(out, header.contents());
        // llama.cpp pads the header even when there are no tensors
        writePadding(out, header.size(), alignment);
        for (PendingTensor t : tensors.values()) {
            long size = t.data().byteSize();
            for (long done = 0; done < size; done += CHUNK_BYTES) {
                writeFully(out, t.data().asSlice(done, Math.min(CHUNK_BYTES, size - done)).asByteBuffer());
            }
            writePadding(out, size, alignment);
        }
    }

    private LittleEndianBuffer encodeHeader(long alignment) {
        LittleEndianBuffer out = new LittleEndianBuffer();
        for (byte b : GgufLayout.MAGIC) {
            out.u8(b);
        }
        out.u32(GgufLayout.WRITTEN_VERSION);
        out.u64(tensors.size());
        out.u64(values.size());
        for (Map.Entry<String, GgufValue> kv : values.entrySet()) {
            out.string(kv.getKey());
            out.u32(kv.getValue().type().id());
            encodeValue(out, kv.getValue());
        }
        long offset = 0;
        for (PendingTensor t : tensors.values()) {
            out.string(t.name());
            out.u32(t.dims().length);
            for (long d : t.dims()) {
                out.u64(d);
            }
            out.u32(t.type().ggmlId());
            out.u64(offset);
            offset += GgufLayout.alignUp(t.data().byteSize(), alignment);
        }
        return out;
    }

    private static void encodeValue(LittleEndianBuffer out, GgufValue value) {
        switch (value.type()) {
            case UINT8, INT8 -> out.u8((Integer) value.value());
            case UINT16, INT16 -> out.u16((Integer) value.value());
            case UINT32 -> out.u32((Long) value.value());
            case INT32 -> out.u32((Integer) value.value());
            case FLOAT32 -> out.f32((Float) value.value());
            case BOOL -> out.u8((Boolean) value.value() ? 1 : 0);
            case STRING -> out.string((String) value.value());
            case UINT64, INT64 -> out.u64((Long) value.value());
            case FLOAT64 -> out.f64((Double) value.value());
            case ARRAY -> encodeArray(out, value);
        }
    }

    /** An array body: element type, length, elements; inner arrays have the same shape. */
    private static void encodeArray(LittleEndianBuffer out, GgufValue array) {
        GgufValueType elementType = array.elementType().orElseThrow();
        out.u32(elementType.id());
        out.u64(array.length());
        Object elements = array.value();
        switch (elementType) {
            case UINT8, INT8 -> Arrays.stream((int[]) elements).forEach(out::u8);
            case UINT16, INT16 -> Arrays.stream((int[]) elements).forEach(out::u16);
            case INT32 -> Arrays.stream((int[]) elements).forEach(out::u32);
            case UINT32 -> Arrays.stream((long[]) elements).forEach(out::u32);
            case UINT64, INT64 -> Arrays.stream((long[]) elements).forEach(out::u64);
            case FLOAT64 -> Arrays.stream((double[]) elements).forEach(out::f64);
            case FLOAT32 -> {
                for (float f : (float[]) elements) {
                    out.f32(f);
                }
            }
            case BOOL -> {
                for (boolean b : (boolean[]) elements) {
                    out.u8(b ? 1 : 0);
                }
            }
            case STRING -> {
                for (Object s : (List<?>) elements) {
                    out.string((String) s);
                }
            }
            case ARRAY -> array.elements().forEach(inner -> encodeArray(out, inner));
        }
    }

    private long alignment() {
        GgufValue value = values.get(GgufLayout.ALIGNMENT_KEY);
        return value == null ? GgufLayout.DEFAULT_ALIGNMENT : (Long) value.value();
    }

    private static void checkAlignment(GgufValue value) {
        if (value.type() != GgufValueType.UINT32 || !GgufLayout.isValidAlignment((Long) value.value())) {
            throw new IllegalArgumentException(GgufLayout.ALIGNMENT_KEY + " must be an uint32 power of two, found " + value);
        }
    }

    private void checkName(String name) {
        if (name == null) {
            throw new IllegalArgumentException("a tensor needs a name");
        }
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_TENSOR_NAME_BYTES) {
            throw new IllegalArgumentException("tensor '" + name + "': the name takes " + bytes
                    + " bytes, llama.cpp allows at most " + MAX_TENSOR_NAME_BYTES);
        }
        if (tensors.containsKey(name)) {
            throw new IllegalArgumentException("tensor '" + name + "' is already added");
        }
    }

    private static long tensorBytes(String name, TensorType type, long[] dims) {
        if (dims.length < 1 || dims.length > GgufLayout.MAX_DIMS) {
            throw new IllegalArgumentException("tensor '" + name + "': expected 1 to 4 dimensions, found " + dims.length);
        }
        for (long d : dims) {
            if (d < 1) {
                throw new IllegalArgumentException("tensor '" + name + "': dimensions must be at least 1, found "
                        + Arrays.toString(dims));
            }
        }
        try {
            return GgufLayout.tensorBytes(type, dims);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("tensor '" + name + "': " + Arrays.toString(dims) + " is too large", e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("tensor '" + name + "': " + e.getMessage(), e);
        }
    }

    /** Zeros from {@code written} up to the next multiple of {@code alignment}. */
    private static void writePadding(WritableByteChannel out, long written, long alignment) throws IOException {
        long padding = GgufLayout.alignUp(written, alignment) - written;
        ByteBuffer zeros = ByteBuffer.allocate((int) Math.min(padding, CHUNK_BYTES));
        for (long done = 0; done < padding; done += zeros.capacity()) {
            writeFully(out, zeros.clear().limit((int) Math.min(zeros.capacity(), padding - done)));
        }
    }

    private static void writeFully(WritableByteChannel out, ByteBuffer bytes) throws IOException {
        while (bytes.hasRemaining()) {
            out.write(bytes);
        }
    }
}
