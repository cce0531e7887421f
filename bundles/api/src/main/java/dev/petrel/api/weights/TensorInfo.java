package dev.petrel.api.weights;

import java.util.Arrays;
import java.util.Objects;

/**
 * A named tensor of a weight source.
 *
 * <p>Dimensions are in ggml order: {@code dims[0]} is the contiguous one (the length of a
 * row), the last is the outermost. A weight matrix {@code y = W x} with {@code n_in} inputs
 * and {@code n_out} outputs therefore has {@code dims = {n_in, n_out}}. Loaders of formats
 * that list dimensions outermost first (safetensors, PyTorch) reverse them.
 *
 * @param name tensor name as stored in the file
 * @param type element or block type
 * @param dims dimensions, contiguous first (1 to 4 of them, each at least 1)
 * @param offset byte offset of the data from the start of the source's data region
 * @param byteSize bytes of data
 */
public record TensorInfo(String name, TensorType type, long[] dims, long offset, long byteSize) {

    public TensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        dims = dims.clone();
    }

    /** A copy of the dimensions, contiguous first. */
    @Override
    public long[] dims() {
        return dims.clone();
    }

    /** Number of dimensions. */
    public int rank() {
        return dims.length;
    }

    /** Dimension {@code i} (0 is the contiguous one); 1 for dimensions past the rank. */
    public long dim(int i) {
        return i < dims.length ? dims[i] : 1;
    }

    /** Total number of elements. */
    public long elementCount() {
        long n = 1;
        for (long d : dims) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** Number of rows: every dimension but the first. */
    public long rows() {
        return elementCount() / dim(0);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t
                && name.equals(t.name)
                && type == t.type
                && Arrays.equals(dims, t.dims)
                && offset == t.offset
                && byteSize == t.byteSize;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, type, Arrays.hashCode(dims), offset, byteSize);
    }

    @Override
    public String toString() {
        return name + " " + type + " " + Arrays.toString(dims) + " @" + offset + " (" + byteSize + " bytes)";
    }
}
