package dev.petrel.kernels.cuda;

import dev.petrel.api.kernel.BufferUsage;
import dev.petrel.api.kernel.KernelBackend;
import dev.petrel.api.kernel.Tensor;
import dev.petrel.api.quant.BlockScales;
import dev.petrel.api.weights.TensorType;
import java.util.Arrays;
import java.util.Optional;
import jcuda.driver.CUdeviceptr;

/** A tensor in device memory: the whole allocation (owner) or a view of it (slice, reshape). */
final class CudaTensor implements Tensor {

    private final CudaKernelBackend backend;
    private final CudaKernelBackend.DeviceMemory memory;   // null for scratch (owned by the stream)
    private final CUdeviceptr base;
    private final long offset;
    private final String name;
    private final TensorType type;
    private final long[] dims;
    private final boolean owner;
    private final Scales scales;   // null unless block-scaled (FP8)

    /**
     * The block scales of a block-scaled weight: the host copy {@link #scales()} hands out and
     * the same floats on the device, owned by the weight's owning tensor.
     */
    record Scales(BlockScales host, CudaKernelBackend.DeviceMemory device) {
    }

    CudaTensor(CudaKernelBackend backend, CudaKernelBackend.DeviceMemory memory, long offset, String name,
            TensorType type, long[] dims, boolean owner) {
        this(backend, memory, memory.pointer(), offset, name, type, dims, owner, null);
    }

    CudaTensor(CudaKernelBackend backend, CudaKernelBackend.DeviceMemory memory, CUdeviceptr base, long offset,
            String name, TensorType type, long[] dims, boolean owner) {
        this(backend, memory, base, offset, name, type, dims, owner, null);
    }

    private CudaTensor(CudaKernelBackend backend, CudaKernelBackend.DeviceMemory memory, CUdeviceptr base, long offset,
            String name, TensorType type, long[] dims, boolean owner, Scales scales) {
        this.scales = scales;
        this.backend = backend;
        this.memory = memory;
        this.base = base;
        this.offset = offset;
        this.name = name;
        this.type = type;
        this.dims = dims;
        this.owner = owner;
    }

    /** This owning tensor with its block scales attached (they are freed with it). */
    CudaTensor withScales(Scales s) {
        return new CudaTensor(backend, memory, base, offset, name, type, dims, owner, s);
    }

    /** The block scales, or null. */
    Scales blockScales() {
        return scales;
    }

    /** The row of the owning weight where this view's rows start: where its scales start. */
    long firstRow() {
        return offset / type.rowBytes(dims[0]);
    }

    /** The device address of the first byte. */
    CUdeviceptr pointer() {
        backend.checkUsable();
        return base.withByteOffset(offset);
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
    public BufferUsage usage() {
        return memory == null ? BufferUsage.COMPUTE : memory.usage();
    }

    @Override
    public KernelBackend backend() {
        return backend;
    }

    @Override
    public Optional<BlockScales> scales() {
        return Optional.ofNullable(scales).map(Scales::host);
    }

    @Override
    public Tensor slice(long first, long count) {
        int outer = dims.length - 1;
        if (count < 1 || first < 0 || first + count > dims[outer]) {
            throw new IndexOutOfBoundsException("slice [" + first + ", " + (first + count) + ") of tensor " + name
                    + " whose outermost dimension is " + dims[outer]);
        }
        long[] view = dims.clone();
        view[outer] = count;
        long step = outer == 0 ? type.rowBytes(first) : first * (byteSize() / dims[outer]);
        return new CudaTensor(backend, memory, base, offset + step, name, type, view, false, scales);
    }

    @Override
    public Tensor reshape(long... newDims) {
        long count = Arrays.stream(newDims).reduce(1, Math::multiplyExact);
        if (count != elementCount() || newDims[0] % type.blockSize() != 0) {
            throw new IllegalArgumentException("reshape of tensor " + name + " " + Arrays.toString(dims) + " to "
                    + Arrays.toString(newDims));
        }
        return new CudaTensor(backend, memory, base, offset, name, type, newDims.clone(), false, scales);
    }

    /** Frees the device memory if this is the owning tensor; views and scratch free nothing. */
    @Override
    public void close() {
        if (owner && memory != null) {
            memory.free();
            if (scales != null) {
                scales.device().free();
            }
        }
    }
}
