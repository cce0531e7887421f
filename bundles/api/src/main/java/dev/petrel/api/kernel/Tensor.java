package dev.petrel.api.kernel;

import dev.petrel.api.quant.BlockScales;
import dev.petrel.api.weights.TensorType;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * A tensor held by a kernel backend: an opaque handle to its memory (heap, off-heap, mapped
 * file or device memory) with a type and dims. The engine never reads the memory directly;
 * it enqueues ops on it and reads results through a {@link ComputeStream}.
 *
 * <p>Dims are contiguous first, 1 to 4 of them, as in
 * {@link dev.petrel.api.weights.TensorInfo}; a row is {@code dims[0]} elements. Rows are
 * stored contiguously one after another, so slices along the outermost dimension and
 * reshapes are views without copies.
 *
 * <p>A tensor may be read by several streams at once (weights); a compute or cache tensor is
 * written by one stream at a time.
 */
@ProviderType
public interface Tensor extends AutoCloseable {

    /** A name for messages (the weight's name in the file, or the role of a buffer). */
    String name();

    TensorType type();

    /** A copy of the dims, contiguous first. */
    long[] dims();

    BufferUsage usage();

    /** The backend that holds this tensor. */
    KernelBackend backend();

    /**
     * The block scales of a block-scaled weight (FP8), in host memory valid while the tensor
     * is open; empty for any other tensor.
     */
    Optional<BlockScales> scales();

    /**
     * A view of {@code count} entries of the outermost dimension starting at {@code first}
     * (for a KV cache {@code {d, heads, ctx}}: positions {@code [first, first + count)}). The
     * view shares memory with this tensor and is valid while it is.
     *
     * @throws IndexOutOfBoundsException if the range exceeds the dimension
     */
    Tensor slice(long first, long count);

    /**
     * A view with other dims of the same element count, for example {@code {H * d, T}} as
     * {@code {d, H, T}}; dims[0] must stay a whole number of blocks.
     *
     * @throws IllegalArgumentException if the element counts differ
     */
    Tensor reshape(long... dims);

    /**
     * Frees the memory (nothing for a view). Views of a closed tensor become invalid.
     * Closing again does nothing.
     */
    @Override
    void close();

    /** Number of dimensions. */
    default int rank() {
        return dims().length;
    }

    /** Dimension {@code i} (0 is the contiguous one); 1 past the rank. */
    default long dim(int i) {
        long[] d = dims();
        return i < d.length ? d[i] : 1;
    }

    default long elementCount() {
        long n = 1;
        for (long d : dims()) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** Rows: the product of every dimension but the first. */
    default long rows() {
        return elementCount() / dim(0);
    }

    /** Bytes of data (scales not included). */
    default long byteSize() {
        return Math.multiplyExact(type().rowBytes(dim(0)), rows());
    }
}
