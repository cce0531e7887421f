package dev.petrel.kernels.java;

import dev.petrel.api.kernel.BufferUsage;
import dev.petrel.api.kernel.ComputeStream;
import dev.petrel.api.kernel.Device;
import dev.petrel.api.kernel.KernelBackend;
import dev.petrel.api.kernel.Lease;
import dev.petrel.api.kernel.Op;
import dev.petrel.api.kernel.Tensor;
import dev.petrel.api.quant.BlockScales;
import dev.petrel.api.weights.TensorType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A kernel backend whose tensors live in host memory: the lifecycle (leases, bounded drain,
 * freeing), the memory ledger and the tensors are shared by the Java backends; the
 * arithmetic comes from their {@link OpKernels}.
 *
 * <p>Weights given as native memory (a mapped file) are used in place; heap memory is copied.
 */
public abstract class HostBackend implements KernelBackend {

    private static final System.Logger LOG = System.getLogger(HostBackend.class.getName());
    private static final Set<TensorType> HALF_AND_FLOAT = Set.of(TensorType.F32, TensorType.F16, TensorType.BF16);

    private final String name;
    private final LeaseGate gate;
    private final MemoryLedger ledger = new MemoryLedger();
    private final Set<TensorMemory> memories = ConcurrentHashMap.newKeySet();
    private volatile OpKernels kernels;
    private volatile Device device;

    protected HostBackend(String name) {
        this.name = name;
        this.gate = new LeaseGate(name);
    }

    /** Makes the backend usable with these kernels. */
    protected final void start(OpKernels kernels, Device device) {
        this.kernels = kernels;
        this.device = device;
    }

    /**
     * Refuses new leases, waits up to {@code leaseWait} for the open ones, then frees every
     * tensor, scratch and workspace and stops the kernels' threads. Afterwards every use
     * throws {@link dev.petrel.api.kernel.BackendUnavailableException}.
     */
    public final void shutdown(Duration leaseWait) {
        try {
            int left = gate.drain(leaseWait);
            if (left > 0) {
                LOG.log(System.Logger.Level.WARNING, "kernel backend {0}: {1} leases still open after {2} ms; freeing "
                        + "its memory anyway", name, left, leaseWait.toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        gate.close();
        for (TensorMemory memory : List.copyOf(memories)) {
            memory.free();
        }
        OpKernels running = kernels;
        if (running != null) {
            running.close();
        }
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final Device device() {
        return device;
    }

    @Override
    public boolean supports(Op op, TensorType... types) {
        return switch (op) {
            case GET_ROWS, MATMUL, MATMUL_HEADS, MATMUL_EXPERTS -> types.length <= 1
                    && (types.length == 0 || kernels.readsWeights(types[0]));
            case ATTENTION -> types.length <= 1 && (types.length == 0 || HALF_AND_FLOAT.contains(types[0]));
            case COPY -> types.length <= 2 && (types.length < 2 || copies(types[0], types[1]))
                    && (types.length < 1 || holds(types[0]));
            default -> types.length == 0 || (types.length == 1 && types[0] == TensorType.F32);
        };
    }

    private boolean copies(TensorType from, TensorType to) {
        return from == to ? holds(from) : HALF_AND_FLOAT.contains(from) && HALF_AND_FLOAT.contains(to);
    }

    /** Whether tensors of this type can be held: float types, ids, and the weight types the kernels read. */
    boolean holds(TensorType type) {
        return HALF_AND_FLOAT.contains(type) || type == TensorType.I32 || kernels.readsWeights(type);
    }

    @Override
    public Tensor uploadWeights(String name, TensorType type, long[] dims, MemorySegment data, BlockScales scales) {
        checkUsable();
        Dims.check(name, dims);
        if (!holds(type)) {
            throw new UnsupportedOperationException("weight " + name + ": type " + type + " cannot be held by the "
                    + this.name + " backend");
        }
        long bytes = byteSize(name, type, dims);
        if (data.byteSize() != bytes) {
            throw new IllegalArgumentException("weight " + name + ": " + data.byteSize() + " bytes given, its " + type
                    + " dims " + java.util.Arrays.toString(dims) + " take " + bytes);
        }
        checkScales(name, type, dims, scales);
        TensorMemory memory;
        if (data.isNative()) {
            memory = TensorMemory.borrow(this, name, BufferUsage.WEIGHTS, data);
            track(memory);
        } else {
            memory = allocateMemory(name, BufferUsage.WEIGHTS, bytes);
            memory.segment().copyFrom(data);
        }
        repack(memory, type, dims);
        return new HostTensor(this, memory, 0, name, type, dims.clone(), scales, true, null, 0);
    }

    @Override
    public Tensor allocate(String name, BufferUsage usage, TensorType type, long... dims) {
        checkUsable();
        Dims.check(name, dims);
        if (!holds(type)) {
            throw new UnsupportedOperationException("tensor " + name + ": type " + type + " cannot be held by the "
                    + this.name + " backend");
        }
        TensorMemory memory = allocateMemory(name, usage, byteSize(name, type, dims));
        return new HostTensor(this, memory, 0, name, type, dims.clone(), null, true, null, 0);
    }

    @Override
    public ComputeStream openStream() {
        checkUsable();
        return new HostStream(this, kernels);
    }

    @Override
    public Lease acquire() {
        gate.acquire();
        return new HostLease(this, gate);
    }

    @Override
    public int openLeases() {
        return gate.openLeases();
    }

    @Override
    public long allocatedBytes(BufferUsage usage) {
        return ledger.held(usage);
    }

    /**
     * Between two host backends a weight kept in place stays in place (both read the same
     * mapped bytes), and other tensors are copied once, directly.
     */
    @Override
    public Tensor transfer(Tensor src) {
        if (src.backend() == this) {
            return src;
        }
        if (!(src instanceof HostTensor host)) {
            return KernelBackend.super.transfer(src);
        }
        MemorySegment bytes = host.data();
        BlockScales scales = src.scales().orElse(null);
        if (src.usage() == BufferUsage.WEIGHTS && host.isBorrowed()) {
            return uploadWeights(src.name(), src.type(), src.dims(), bytes, scales);
        }
        TensorMemory memory = allocateMemory(src.name(), src.usage(), bytes.byteSize());
        memory.segment().copyFrom(bytes);
        return new HostTensor(this, memory, 0, src.name(), src.type(), src.dims(), scales, true, null, 0);
    }

    // ---- for the package ---------------------------------------------------------------

    void checkUsable() {
        gate.checkUsable();
    }

    boolean isClosed() {
        return gate.state() == LeaseGate.State.CLOSED;
    }

    TensorMemory allocateMemory(String tensorName, BufferUsage usage, long bytes) {
        checkUsable();
        TensorMemory memory = TensorMemory.allocate(this, tensorName, usage, bytes);
        track(memory);
        return memory;
    }

    private void track(TensorMemory memory) {
        memories.add(memory);
        ledger.add(memory.usage(), memory.byteSize());
        if (isClosed()) {
            // Lost a race with shutdown: nothing may outlive it.
            memory.free();
            checkUsable();
        }
    }

    void forget(TensorMemory memory) {
        if (memories.remove(memory)) {
            ledger.subtract(memory.usage(), memory.byteSize() + memory.packedBytes());
        }
    }

    /** Gives a weight the kernels' repacked copy of its rows, when they make one; counted as its memory. */
    private void repack(TensorMemory memory, TensorType type, long[] dims) {
        Arena arena = new LargePageArena();
        MemorySegment copy;
        try {
            copy = kernels.repackWeights(type, dims, memory.segment(), arena);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
        if (copy == null) {
            arena.close();
        } else if (memory.attachPacked(copy, arena, (int) dims[0])) {
            ledger.add(memory.usage(), copy.byteSize());
        } else {
            arena.close();
        }
    }

    /** FP8 weights need block scales that describe their rows; other types take none. */
    private static void checkScales(String name, TensorType type, long[] dims, BlockScales scales) {
        boolean scaled = type == TensorType.F8_E4M3;
        if (scaled && scales == null) {
            throw new IllegalArgumentException("weight " + name + ": " + type
                    + " values need their block scales (weight_scale_inv); none were given");
        }
        if (!scaled) {
            if (scales != null) {
                throw new IllegalArgumentException("weight " + name + ": type " + type + " takes no block scales");
            }
            return;
        }
        long rows = Dims.elementCount(name, dims) / dims[0];
        if (scales.columns() != dims[0] || rows % scales.rows() != 0
                || scales.data().byteSize() < 4 * scales.scalesPerMatrix() * (rows / scales.rows())) {
            throw new IllegalArgumentException("weight " + name + " " + java.util.Arrays.toString(dims)
                    + ": its block scales describe matrices of " + scales.rows() + " x " + scales.columns() + " in "
                    + scales.data().byteSize() + " bytes, expected rows of " + dims[0] + " and " + 4
                    * Math.ceilDiv(dims[0], scales.blockColumns()) * Math.ceilDiv(rows, scales.blockRows())
                    + " bytes or more");
        }
    }

    private static long byteSize(String name, TensorType type, long[] dims) {
        try {
            return Math.multiplyExact(type.rowBytes(dims[0]), Dims.elementCount(name, dims) / dims[0]);
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new IllegalArgumentException("tensor " + name + ": " + e.getMessage(), e);
        }
    }
}
