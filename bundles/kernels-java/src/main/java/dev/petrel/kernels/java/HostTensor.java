package dev.petrel.kernels.java;

import dev.petrel.api.kernel.BufferUsage;
import dev.petrel.api.kernel.KernelBackend;
import dev.petrel.api.kernel.Tensor;
import dev.petrel.api.quant.BlockScales;
import dev.petrel.api.weights.TensorType;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Optional;

/**
 * A tensor in host memory: a window of a {@link TensorMemory} with a type and dims. Views
 * (slices, reshapes) share the memory; only the tensor that allocated it frees it. Scratch
 * tensors also carry the epoch of their stream's scratch, so a use after
 * {@code resetScratch()} fails loudly instead of reading another tensor's values.
 */
public final class HostTensor implements Tensor {

    private final HostBackend backend;
    private final TensorMemory memory;
    private final long byteOffset;
    private final MemorySegment data;
    private final String name;
    private final TensorType type;
    private final long[] dims;
    private final BlockScales scales;
    private final boolean owner;
    private final ScratchArena scratch;
    private final long epoch;

    HostTensor(HostBackend backend, TensorMemory memory, long byteOffset, String name, TensorType type, long[] dims,
            BlockScales scales, boolean owner, ScratchArena scratch, long epoch) {
        this.backend = backend;
        this.memory = memory;
        this.name = name;
        this.type = type;
        this.dims = dims;
        this.scales = scales;
        this.owner = owner;
        this.scratch = scratch;
        this.epoch = epoch;
        this.byteOffset = byteOffset;
        this.data = memory.segment().asSlice(byteOffset, byteSize());
    }

    /** The tensor's bytes, after checking that the tensor and its backend are still usable. */
    public MemorySegment data() {
        backend.checkUsable();
        memory.checkOpen(name);
        if (scratch != null) {
            scratch.checkEpoch(epoch, name);
        }
        return data;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public TensorType type() {
        return type;
    }

    @Override
    public long[] dims() {
        return dims.clone();
    }

    @Override
    public long dim(int i) {
        return i < dims.length ? dims[i] : 1;
    }

    @Override
    public int rank() {
        return dims.length;
    }

    @Override
    public BufferUsage usage() {
        return memory.usage();
    }

    @Override
    public KernelBackend backend() {
        return backend;
    }

    HostBackend hostBackend() {
        return backend;
    }

    @Override
    public Optional<BlockScales> scales() {
        return Optional.ofNullable(scales);
    }

    /** Whether the bytes are the caller's (a weight used in place), not the backend's. */
    boolean isBorrowed() {
        return memory.isBorrowed();
    }

    /**
     * The kernels' repacked copy of the weight rows this tensor's memory holds (see
     * {@link OpKernels#repackWeights}), when this tensor's rows are rows of it: row {@code r}
     * here is row {@link #firstPackedRow()} {@code + r} there. Null otherwise.
     */
    public MemorySegment packedRows() {
        data();
        MemorySegment copy = memory.packed((int) dims[0]);
        return copy != null && byteOffset % rowBytes() == 0 ? copy : null;
    }

    /** Where this tensor's rows start in {@link #packedRows()}. */
    public long firstPackedRow() {
        return byteOffset / rowBytes();
    }

    /** Stops MATMUL from reading the repacked copy: the bytes are being written. */
    void discardPacked() {
        memory.discardPacked();
    }

    /** Bytes of one row ({@code dims[0]} elements). */
    public long rowBytes() {
        return type.rowBytes(dims[0]);
    }

    @Override
    public Tensor slice(long first, long count) {
        int outer = dims.length - 1;
        if (count < 1) {
            throw new IllegalArgumentException("slice of tensor " + name + ": count " + count + " (expected at least 1)");
        }
        if (first < 0 || first + count > dims[outer]) {
            throw new IndexOutOfBoundsException("slice [" + first + ", " + (first + count) + ") of tensor " + name
                    + " whose outermost dimension is " + dims[outer]);
        }
        long[] viewDims = dims.clone();
        viewDims[outer] = count;
        // One entry of the outermost dimension is a run of whole rows, or elements of a single row.
        long offset = outer == 0 ? type.rowBytes(first) : first * (byteSize() / dims[outer]);
        return view(offset, viewDims);
    }

    @Override
    public Tensor reshape(long... newDims) {
        Dims.check(name, newDims);
        long count = 1;
        for (long d : newDims) {
            count = Math.multiplyExact(count, d);
        }
        if (count != elementCount()) {
            throw new IllegalArgumentException("reshape of tensor " + name + " " + Arrays.toString(dims) + " to "
                    + Arrays.toString(newDims) + ": " + count + " elements, expected " + elementCount());
        }
        if (newDims[0] % type.blockSize() != 0) {
            throw new IllegalArgumentException("reshape of tensor " + name + " to " + Arrays.toString(newDims)
                    + ": dim 0 must be a multiple of the " + type + " block size " + type.blockSize());
        }
        return view(0, newDims.clone());
    }

    private HostTensor view(long offsetInThis, long[] viewDims) {
        data();
        return new HostTensor(backend, memory, byteOffset + offsetInThis, name, type, viewDims, scales, false, scratch,
                epoch);
    }

    @Override
    public void close() {
        if (owner) {
            memory.free();
        }
    }

    @Override
    public String toString() {
        return name + " " + type + " " + Arrays.toString(dims);
    }
}
