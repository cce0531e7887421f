package dev.petrel.loader.gguf;

import dev.petrel.api.weights.TensorInfo;
import dev.petrel.api.weights.WeightSource;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An opened GGUF file (version 2 or 3): its header, metadata and tensors, with the tensor
 * data memory-mapped.
 *
 * <p>{@link #open} maps the whole file read-only into a shared arena and parses the header from
 * the mapping; tensor data is not touched until a caller reads a {@link #data} slice, so
 * opening a model of many gigabytes costs a few page faults. Every problem with the content
 * is reported as a {@link dev.petrel.api.ModelFormatException} that names the file and the
 * field. Instances are immutable and may be shared between threads; {@link #close()} unmaps.
 */
public final class GgufFile implements WeightSource {

    /** The value of the {@code format} service property and of {@link #format()}. */
    public static final String FORMAT = "gguf";

    private final String location;
    private final MemorySegment content;
    private final Arena arena;
    private final GgufHeader header;
    private final GgufMetadata metadata;
    private final List<TensorInfo> tensors;
    private final Map<String, TensorInfo> tensorsByName;
    private final AtomicBoolean closed = new AtomicBoolean();

    private GgufFile(String location, MemorySegment content, Arena arena) {
        GgufParser.Result parsed = GgufParser.parse(location, content);
        this.location = location;
        this.content = content;
        this.arena = arena;
        this.header = parsed.header();
        this.metadata = parsed.metadata();
        this.tensors = parsed.tensors();
        this.tensorsByName = new HashMap<>();
        for (TensorInfo t : tensors) {
            tensorsByName.put(t.name(), t);
        }
    }

    /**
     * Maps {@code path} and reads its header.
     *
     * @throws dev.petrel.api.ModelFormatException if the content is not a valid GGUF file
     * @throws IOException if the file cannot be opened or mapped
     */
    public static GgufFile open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
            return new GgufFile(path.toString(), mapped, arena);
        } catch (Throwable e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Reads GGUF content that is already in memory, such as a file built by
     * {@link GgufWriter#toByteArray()}. The caller keeps ownership of {@code content}: closing
     * the result frees nothing, and the data slices live as long as {@code content} does.
     *
     * @param source a name for messages, such as a file name
     * @throws dev.petrel.api.ModelFormatException if the content is not valid GGUF
     */
    public static GgufFile parse(String source, MemorySegment content) {
        return new GgufFile(source, content.asReadOnly(), null);
    }

    /** Whether the file starts with the GGUF magic; reads four bytes, never throws. */
    public static boolean looksLikeGguf(Path path) {
        if (!Files.isRegularFile(path)) {
            return false;
        }
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            ByteBuffer start = ByteBuffer.allocate(GgufLayout.MAGIC.length);
            while (start.hasRemaining() && channel.read(start) >= 0) {
                // a read may return fewer bytes than asked for
            }
            return !start.hasRemaining() && Arrays.equals(start.array(), GgufLayout.MAGIC);
        } catch (IOException | SecurityException e) {
            return false;
        }
    }

    /** Version, counts, alignment and data offset. */
    public GgufHeader header() {
        return header;
    }

    @Override
    public String location() {
        return location;
    }

    @Override
    public String format() {
        return FORMAT;
    }

    @Override
    public GgufMetadata metadata() {
        return metadata;
    }

    @Override
    public List<TensorInfo> tensors() {
        return tensors;
    }

    @Override
    public Optional<TensorInfo> tensor(String name) {
        return Optional.ofNullable(tensorsByName.get(name));
    }

    /**
     * The bytes of {@code tensor}, a read-only slice of the mapping (nothing is copied).
     *
     * @throws IllegalArgumentException if {@code tensor} is not one of {@link #tensors()}
     * @throws IllegalStateException if this file is closed
     */
    @Override
    public MemorySegment data(TensorInfo tensor) {
        if (closed.get()) {
            throw new IllegalStateException(location + " is closed");
        }
        if (!tensor.equals(tensorsByName.get(tensor.name()))) {
            throw new IllegalArgumentException(tensor + " is not a tensor of " + location);
        }
        return content.asSlice(header.dataOffset() + tensor.offset(), tensor.byteSize()).asReadOnly();
    }

    /** Unmaps the file; data slices handed out before become inaccessible. Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true) && arena != null) {
            arena.close();
        }
    }

    @Override
    public String toString() {
        return "GgufFile[" + location + ", v" + header.version() + ", " + tensors.size() + " tensors, "
                + header.kvCount() + " keys]";
    }
}
