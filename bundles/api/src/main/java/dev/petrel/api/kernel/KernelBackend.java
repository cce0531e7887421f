package dev.petrel.api.kernel;

import dev.petrel.api.quant.BlockScales;
import dev.petrel.api.weights.TensorType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.osgi.annotation.versioning.ProviderType;

/**
 * A place to hold tensors and run the forward pass's operations: the pure-Java backends
 * ({@code kernel=java}, the Vector API one; {@code kernel=java-scalar}, the plain reference)
 * or CUDA ({@code kernel=cuda}). Registered as a service with the property {@link #KERNEL};
 * the engine binds the highest {@code service.ranking} unless configuration pins one.
 *
 * <p>Thread-safe: several sessions use one backend at once, each through its own
 * {@link ComputeStream}, sharing the weight tensors.
 *
 * <p>Lifecycle: while it is deactivated, a backend refuses new {@linkplain #acquire()
 * leases}, waits a bounded time for the open ones, then frees every tensor it holds; from
 * then on its methods, tensors and streams throw {@link BackendUnavailableException}.
 */
@ProviderType
public interface KernelBackend {

    /** Service property naming the implementation: {@code java}, {@code java-scalar}, {@code cuda}. */
    String KERNEL = "kernel";

    /** The implementation's name, equal to its {@link #KERNEL} property. */
    String name();

    Device device();

    /**
     * Whether {@code op} runs here with these operand types (the types each {@link Op}
     * names: a MATMUL weight's type, an ATTENTION cache's type, COPY's source and
     * destination). Answers without side effects; the engine asks before it loads a model.
     */
    boolean supports(Op op, TensorType... types);

    /**
     * Places a weight. {@code data} holds {@code type.rowBytes(dims[0]) * rows} bytes laid
     * out as in GGUF (a {@code WeightSource.data} view). A backend with
     * {@linkplain Device#hostMemory() host memory} may use {@code data} in place instead of
     * copying: the caller keeps it valid and unchanged until the tensor is closed.
     *
     * @param dims contiguous first
     * @param scales block scales for a block-scaled type (FP8), else null; copied or kept like
     *        {@code data}
     * @throws IllegalArgumentException if sizes disagree or scales are missing
     * @throws UnsupportedOperationException if the type cannot be held here
     */
    Tensor uploadWeights(String name, TensorType type, long[] dims, MemorySegment data, BlockScales scales);

    /** A weight without block scales. */
    default Tensor uploadWeights(String name, TensorType type, long[] dims, MemorySegment data) {
        return uploadWeights(name, type, dims, data, null);
    }

    /**
     * A new tensor filled with zeros, for compute values or caches (or weights written later
     * with {@link ComputeStream#write}).
     *
     * @throws dev.petrel.api.PetrelException naming the tensor and its size when the
     *         backend's memory is exhausted
     */
    Tensor allocate(String name, BufferUsage usage, TensorType type, long... dims);

    /** A new stream for one session's ops. */
    ComputeStream openStream();

    /**
     * Claims the backend for a request: it will not free its memory until the lease is
     * closed or the bounded wait on deactivation ends.
     *
     * @throws BackendUnavailableException if the backend is being deactivated
     */
    Lease acquire();

    /** Leases acquired and not yet closed. */
    int openLeases();

    /** Bytes currently held for tensors of this usage (0 after everything is closed). */
    long allocatedBytes(BufferUsage usage);

    /**
     * A copy of {@code src} (held by another backend) on this backend, with the same name,
     * usage, type, dims and scales; {@code src} itself when it is already here. The source
     * stays open: the caller closes it. Backends may override this with a direct copy.
     */
    default Tensor transfer(Tensor src) {
        if (src.backend() == this) {
            return src;
        }
        boolean weights = src.usage() == BufferUsage.WEIGHTS;
        // Weights may be kept in place by the new backend: their bytes live as long as it uses them.
        Arena arena = weights ? Arena.ofAuto() : Arena.ofConfined();
        try (ComputeStream from = src.backend().openStream()) {
            MemorySegment bytes = arena.allocate(src.byteSize(), 64);
            from.read(src, bytes);
            if (weights) {
                BlockScales scales = src.scales()
                        .map(s -> new BlockScales(arena.allocate(s.data().byteSize(), 4).copyFrom(s.data()),
                                s.blockRows(), s.blockColumns(), s.rows(), s.columns()))
                        .orElse(null);
                return uploadWeights(src.name(), src.type(), src.dims(), bytes, scales);
            }
            Tensor copy = allocate(src.name(), src.usage(), src.type(), src.dims());
            try (ComputeStream to = openStream()) {
                to.write(bytes, copy);
            }
            return copy;
        } finally {
            if (!weights) {
                arena.close();
            }
        }
    }
}
