package dev.petrel.kernels.cuda;

import dev.petrel.api.PetrelException;
import dev.petrel.api.kernel.BackendUnavailableException;
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
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.JCudaDriver;

/**
 * {@code kernel=cuda}: tensors in device memory of one GPU, ops as the kernels of
 * kernels-native's PTX on one CUDA stream per session. Registered by {@link CudaProbe} only
 * where a GPU is usable.
 *
 * <p>Supported ({@link CudaSupport}): GET_ROWS, MATMUL, MATMUL_HEADS and MATMUL_EXPERTS of F32,
 * F16, BF16, Q8_0, Q4_0 and block-scaled FP8 E4M3 weights; ADD, MUL, SCALE, SIGMOID, SILU_MUL,
 * RMS_NORM, SOFTMAX, ARGMAX, MOE_ROUTE, MOE_COMBINE and CONCAT on F32; ROPE with YaRN;
 * ATTENTION over F32, F16 and BF16 caches (value rows longer than the value length: MLA's
 * latent cache); COPY between float types (and of whole blocks of any type).
 */
final class CudaKernelBackend implements KernelBackend {

    /** Capability prefix giving the device's memory bandwidth in GB/s, from its clock and bus width. */
    static final String MEMORY_BANDWIDTH = "memory-bandwidth-gbs=";
    private final CUcontext context;
    private final CUdevice cuDevice;
    private final CUmodule module;
    private final KernelSignatures signatures;
    private final Map<String, CUfunction> functions = new ConcurrentHashMap<>();
    private final Device device;
    private final Map<BufferUsage, AtomicLong> held = new EnumMap<>(BufferUsage.class);
    private final Set<DeviceMemory> memories = ConcurrentHashMap.newKeySet();
    private final Object gate = new Object();
    private int open;
    private volatile int state;   // 0 open, 1 draining, 2 closed

    private CudaKernelBackend(CUcontext context, CUdevice cuDevice, CUmodule module, Device device,
            KernelSignatures signatures) {
        this.signatures = signatures;
        this.context = context;
        this.cuDevice = cuDevice;
        this.module = module;
        this.device = device;
        for (BufferUsage u : BufferUsage.values()) {
            held.put(u, new AtomicLong());
        }
        for (String name : CudaSupport.FUNCTIONS) {
            CUfunction f = new CUfunction();
            JCudaDriver.cuModuleGetFunction(f, module, name);
            functions.put(name, f);
        }
    }

    /** Retains the device's primary context and loads the PTX. */
    static CudaKernelBackend open(CUdevice cuDevice, int index, int major, int minor, byte[] ptx) {
        CUcontext context = new CUcontext();
        JCudaDriver.cuDevicePrimaryCtxRetain(context, cuDevice);
        try {
            JCudaDriver.cuCtxSetCurrent(context);
            CUmodule module = new CUmodule();
            byte[] terminated = Arrays.copyOf(ptx, ptx.length + 1);   // the driver wants a C string
            JCudaDriver.cuModuleLoadData(module, terminated);
            byte[] name = new byte[256];
            JCudaDriver.cuDeviceGetName(name, name.length, cuDevice);
            long[] memory = {0};
            JCudaDriver.cuDeviceTotalMem(memory, cuDevice);
            int[] sms = {0};
            JCudaDriver.cuDeviceGetAttribute(sms, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, cuDevice);
            int[] clockKhz = {0};
            JCudaDriver.cuDeviceGetAttribute(clockKhz, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE, cuDevice);
            int[] busBits = {0};
            JCudaDriver.cuDeviceGetAttribute(busBits, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH, cuDevice);
            // double data rate: two transfers per clock over the whole bus
            long bandwidth = 2L * clockKhz[0] * 1000L * busBits[0] / 8 / 1_000_000_000L;
            String deviceName = new String(name, StandardCharsets.US_ASCII).trim().replace("\0", "");
            Device device = new Device("cuda:" + index + " " + deviceName, "cuda", memory[0], Math.max(1, sms[0]), false,
                    Set.of("sm_" + major + minor, "f16", "bf16", MEMORY_BANDWIDTH + bandwidth));
            return new CudaKernelBackend(context, cuDevice, module, device,
                    KernelSignatures.parse(new String(ptx, StandardCharsets.US_ASCII)));
        } catch (RuntimeException e) {
            JCudaDriver.cuDevicePrimaryCtxRelease(cuDevice);
            throw e;
        }
    }

    @Override
    public String name() {
        return CudaProbe.NAME;
    }

    @Override
    public Device device() {
        return device;
    }

    @Override
    public boolean supports(Op op, TensorType... types) {
        return CudaSupport.supports(op, types);
    }

    @Override
    public Tensor uploadWeights(String name, TensorType type, long[] dims, MemorySegment data, BlockScales scales) {
        if (!CudaSupport.WEIGHTS.contains(type)) {
            throw new UnsupportedOperationException("weight " + name + ": " + type + " cannot be held by the cuda backend");
        }
        checkScales(name, type, dims, scales);
        CudaTensor tensor = (CudaTensor) allocate(name, BufferUsage.WEIGHTS, type, dims);
        if (data.byteSize() != tensor.byteSize()) {
            tensor.close();
            throw new IllegalArgumentException("weight " + name + ": " + data.byteSize() + " bytes given, its " + type
                    + " dims " + Arrays.toString(dims) + " take " + tensor.byteSize());
        }
        copyIn(data, tensor.pointer(), null);
        if (scales == null) {
            return tensor;
        }
        // The scales travel twice: on the device for the kernels, and a host copy for
        // Tensor.scales() (a transfer to another backend reads them there).
        long scaleBytes = 4 * scales.scalesPerMatrix() * (tensor.rows() / scales.rows());
        MemorySegment host = Arena.ofAuto().allocate(scaleBytes, 4).copyFrom(scales.data().asSlice(0, scaleBytes));
        DeviceMemory device;
        try {
            device = allocateMemory(name + ".scales", BufferUsage.WEIGHTS, scaleBytes);
        } catch (RuntimeException e) {
            tensor.close();
            throw e;
        }
        copyIn(host, device.pointer(), null);
        BlockScales held = new BlockScales(host, scales.blockRows(), scales.blockColumns(), scales.rows(), scales.columns());
        return tensor.withScales(new CudaTensor.Scales(held, device));
    }

    /** FP8 weights need block scales describing whole matrices of their rows; other types take none. */
    static void checkScales(String name, TensorType type, long[] dims, BlockScales scales) {
        boolean scaled = type == TensorType.F8_E4M3;
        if (scaled != (scales != null)) {
            throw new IllegalArgumentException("weight " + name + ": " + type + (scaled
                    ? " values need their block scales (weight_scale_inv); none were given" : " takes no block scales"));
        }
        if (!scaled) {
            return;
        }
        long rows = Arrays.stream(dims).skip(1).reduce(1, Math::multiplyExact);
        if (scales.columns() != dims[0] || rows % scales.rows() != 0
                || scales.data().byteSize() < 4 * scales.scalesPerMatrix() * (rows / scales.rows())) {
            throw new IllegalArgumentException("weight " + name + " " + Arrays.toString(dims)
                    + ": its block scales describe matrices of " + scales.rows() + " x " + scales.columns() + " in "
                    + scales.data().byteSize() + " bytes, expected rows of " + dims[0] + " and "
                    + 4 * scales.scalesPerMatrix() * Math.max(1, rows / scales.rows()) + " bytes or more");
        }
    }

    @Override
    public Tensor allocate(String name, BufferUsage usage, TensorType type, long... dims) {
        checkUsable();
        if (!CudaSupport.holds(type)) {
            throw new UnsupportedOperationException("tensor " + name + ": type " + type + " cannot be held by the cuda backend");
        }
        if (dims.length == 0 || Arrays.stream(dims).anyMatch(d -> d < 1) || dims[0] % type.blockSize() != 0) {
            throw new IllegalArgumentException("tensor " + name + ": dims " + Arrays.toString(dims) + " for " + type);
        }
        long rows = Arrays.stream(dims).skip(1).reduce(1, Math::multiplyExact);
        DeviceMemory memory = allocateMemory(name, usage, Math.multiplyExact(type.rowBytes(dims[0]), rows));
        memory.zero();
        return new CudaTensor(this, memory, 0, name, type, dims.clone(), true);
    }

    @Override
    public ComputeStream openStream() {
        checkUsable();
        return new CudaStream(this);
    }

    @Override
    public Lease acquire() {
        synchronized (gate) {
            if (state != 0) {
                throw new BackendUnavailableException("kernel backend cuda is shutting down: no new leases");
            }
            open++;
        }
        return new Lease() {
            private boolean closed;

            @Override
            public KernelBackend backend() {
                return CudaKernelBackend.this;
            }

            @Override
            public void close() {
                synchronized (gate) {
                    if (!closed) {
                        closed = true;
                        open--;
                        gate.notifyAll();
                    }
                }
            }
        };
    }

    @Override
    public int openLeases() {
        synchronized (gate) {
            return open;
        }
    }

    @Override
    public long allocatedBytes(BufferUsage usage) {
        return held.get(usage).get();
    }

    /** Refuses new leases, waits up to {@code wait} for the open ones, frees all device memory and the context. */
    void shutdown(Duration wait) {
        synchronized (gate) {
            state = 1;
            long deadline = System.nanoTime() + wait.toNanos();
            while (open > 0 && System.nanoTime() < deadline) {
                try {
                    gate.wait(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            state = 2;
        }
        makeCurrent();
        for (DeviceMemory m : List.copyOf(memories)) {
            m.free();
        }
        try {
            JCudaDriver.cuModuleUnload(module);
        } finally {
            JCudaDriver.cuDevicePrimaryCtxRelease(cuDevice);
        }
    }

    // ---- for the package -----------------------------------------------------------------

    void checkUsable() {
        if (state == 2) {
            throw new BackendUnavailableException("kernel backend cuda has shut down and freed its memory");
        }
    }

    /** The driver API's context is per thread: every entry point makes ours current. */
    void makeCurrent() {
        JCudaDriver.cuCtxSetCurrent(context);
    }

    KernelSignatures signatures() {
        return signatures;
    }

    CUfunction function(String name) {
        return functions.get(name);
    }

    DeviceMemory allocateMemory(String name, BufferUsage usage, long bytes) {
        checkUsable();
        makeCurrent();
        CUdeviceptr pointer = new CUdeviceptr();
        try {
            JCudaDriver.cuMemAlloc(pointer, Math.max(1, bytes));
        } catch (CudaException e) {
            throw new PetrelException("cuda backend: " + bytes + " bytes for tensor " + name + " do not fit in the "
                    + "device memory (" + allocatedBytes(BufferUsage.WEIGHTS) + " bytes of weights held): " + e.getMessage(), e);
        }
        DeviceMemory memory = new DeviceMemory(this, pointer, bytes, usage);
        memories.add(memory);
        held.get(usage).addAndGet(bytes);
        return memory;
    }

    void forget(DeviceMemory memory) {
        if (memories.remove(memory)) {
            held.get(memory.usage()).addAndGet(-memory.bytes());
        }
    }

    /** Host bytes to the device, staged through native memory (JCuda takes direct buffers). */
    void copyIn(MemorySegment src, CUdeviceptr dst, jcuda.driver.CUstream stream) {
        makeCurrent();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment staged = src.isNative() ? src : arena.allocate(src.byteSize(), 16).copyFrom(src);
            JCudaDriver.cuMemcpyHtoD(dst, Pointer.to(staged.asByteBuffer()), src.byteSize());
        }
    }

    /** Device bytes to host memory, after the stream's work. */
    void copyOut(CUdeviceptr src, MemorySegment dst) {
        makeCurrent();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment staged = dst.isNative() ? dst : arena.allocate(dst.byteSize(), 16);
            JCudaDriver.cuMemcpyDtoH(Pointer.to(staged.asByteBuffer()), src, dst.byteSize());
            if (staged != dst) {
                dst.copyFrom(staged);
            }
        }
    }

    /** One cuMemAlloc'd range, freed when its tensor or the backend closes. */
    static final class DeviceMemory {
        private final CudaKernelBackend backend;
        private final CUdeviceptr pointer;
        private final long bytes;
        private final BufferUsage usage;
        private boolean freed;

        DeviceMemory(CudaKernelBackend backend, CUdeviceptr pointer, long bytes, BufferUsage usage) {
            this.backend = backend;
            this.pointer = pointer;
            this.bytes = bytes;
            this.usage = usage;
        }

        CUdeviceptr pointer() {
            return pointer;
        }

        long bytes() {
            return bytes;
        }

        BufferUsage usage() {
            return usage;
        }

        void zero() {
            backend.makeCurrent();
            JCudaDriver.cuMemsetD8(pointer, (byte) 0, bytes);
        }

        synchronized void free() {
            if (!freed) {
                freed = true;
                backend.makeCurrent();
                JCudaDriver.cuMemFree(pointer);
                backend.forget(this);
            }
        }
    }
}
