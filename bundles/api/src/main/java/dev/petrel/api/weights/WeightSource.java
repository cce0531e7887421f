package dev.petrel.api.weights;

import dev.petrel.api.ModelFormatException;
import dev.petrel.api.quant.BlockScales;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Optional;

/**
 * An opened model file or folder: its metadata and its tensors.
 *
 * <p>Opening reads and validates the header only. {@link #data} returns a read-only
 * memory-mapped view of a tensor's bytes; kernels read quantized blocks in place from it.
 * The segments stay valid until {@link #close()}.
 */
public interface WeightSource extends AutoCloseable {

    /** The path that was opened, for messages. */
    String location();

    /** The file format, for example {@code gguf} or {@code safetensors}. */
    String format();

    Metadata metadata();

    /** All tensors, in the order of the file. */
    List<TensorInfo> tensors();

    default Optional<TensorInfo> tensor(String name) {
        return tensors().stream().filter(t -> t.name().equals(name)).findFirst();
    }

    /** The named tensor, or a {@link ModelFormatException} naming it. */
    default TensorInfo requireTensor(String name) {
        return tensor(name).orElseThrow(() -> new ModelFormatException(location(), name, "required tensor is missing"));
    }

    /** The bytes of a tensor of this source, mapped read-only (no copy). */
    MemorySegment data(TensorInfo tensor);

    /**
     * The block scales of a block-scaled tensor of this source (an FP8 E4M3 weight and its
     * {@code weight_scale_inv}), valid until {@link #close()}; empty for every other tensor.
     * A source that lists a block-scaled tensor without scales is invalid and fails to open.
     *
     * @since 1.1
     */
    default Optional<BlockScales> scales(TensorInfo tensor) {
        return Optional.empty();
    }

    /** Unmaps the file; segments returned by {@link #data} become invalid. */
    @Override
    void close();
}
