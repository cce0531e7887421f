package dev.petrel.engine.arch;

import dev.petrel.api.ModelFormatException;
import dev.petrel.api.kernel.BackendUnavailableException;
import dev.petrel.api.kernel.KernelBackend;
import dev.petrel.api.kernel.Op;
import dev.petrel.api.kernel.Tensor;
import dev.petrel.api.quant.BlockScales;
import dev.petrel.api.weights.TensorInfo;
import dev.petrel.api.weights.TensorType;
import dev.petrel.api.weights.WeightSource;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Checks each tensor a forward pass asks for against the dims its metadata implies and the
 * ops the backend supports, then places it there (in place on host memory). Remembers what it
 * placed, to free it on failure or close, and what it used, so that a file with tensors its
 * metadata does not account for is rejected as llama.cpp rejects it.
 */
final class WeightPlacer implements AutoCloseable {

    private final WeightSource source;
    private final KernelBackend backend;
    private final List<Tensor> placed = new ArrayList<>();
    private final Set<String> used = new HashSet<>();
    private long bytes;

    WeightPlacer(WeightSource source, KernelBackend backend) {
        this.source = source;
        this.backend = backend;
    }

    /**
     * Expected dims with their names from the metadata, for messages:
     * {@code shape("n_embd", 64, "n_vocab", 100)}.
     */
    record Shape(String names, long[] dims) {
        static Shape of(Object... namesAndDims) {
            StringBuilder names = new StringBuilder("{");
            long[] dims = new long[namesAndDims.length / 2];
            for (int i = 0; i < dims.length; i++) {
                names.append(i == 0 ? "" : ", ").append(namesAndDims[2 * i]);
                dims[i] = ((Number) namesAndDims[2 * i + 1]).longValue();
            }
            return new Shape(names.append('}').toString(), dims);
        }
    }

    /** A weight matrix for MATMUL, {@code {n_in, n_out}}. */
    Tensor matrix(String name, Shape shape) {
        return place(require(name), shape, Op.MATMUL);
    }

    /** Stacked expert matrices for MATMUL_EXPERTS, {@code {n_in, n_out, E}}. */
    Tensor experts(String name, Shape shape) {
        return place(require(name), shape, Op.MATMUL_EXPERTS);
    }

    Tensor optionalMatrix(String name, Shape shape) {
        return source.tensor(name).map(t -> place(t, shape, Op.MATMUL)).orElse(null);
    }

    /** The embedding table for GET_ROWS, {@code {n_embd, n_vocab}}. */
    Tensor table(String name, Shape shape) {
        return place(require(name), shape, Op.GET_ROWS);
    }

    /** An F32 vector: a norm weight, a bias, rope factors. */
    Tensor vector(String name, Shape shape) {
        return place(require(name), shape, null);
    }

    Tensor optionalVector(String name, Shape shape) {
        return source.tensor(name).map(t -> place(t, shape, null)).orElse(null);
    }

    /** Places F32 values computed at load (rope factors given by keys), kept alive by the tensor's memory. */
    Tensor computed(String name, float[] values) {
        MemorySegment data = Arena.ofAuto().allocate((long) values.length * Float.BYTES, 64);
        MemorySegment.copy(values, 0, data, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0,
                values.length);
        return keep(backend.uploadWeights(name, TensorType.F32, new long[] {values.length}, data));
    }

    /** Checks that a placed tensor can also serve {@code op} (the token table as the tied output). */
    void requireSupport(Tensor tensor, Op op, String role) {
        if (!backend.supports(op, tensor.type())) {
            throw unsupported(tensor.name(), tensor.type(), op, role);
        }
    }

    /** Rejects tensors of the file that no {@code matrix}/{@code vector}/{@code table} call asked for. */
    void requireAllUsed(String explanation) {
        for (TensorInfo t : source.tensors()) {
            if (!used.contains(t.name())) {
                throw new ModelFormatException(source.location(), t.name(),
                        "unexpected tensor: " + explanation + " do not account for it");
            }
        }
    }

    List<Tensor> placed() {
        return List.copyOf(placed);
    }

    long bytes() {
        return bytes;
    }

    @Override
    public void close() {
        for (Tensor t : placed) {
            try {
                t.close();
            } catch (BackendUnavailableException e) {
                // a backend that has gone freed its tensors already
            }
        }
        placed.clear();
    }

    private TensorInfo require(String name) {
        return source.requireTensor(name);
    }

    private Tensor place(TensorInfo info, Shape shape, Op op) {
        used.add(info.name());
        if (!sameDims(info, shape.dims())) {
            throw new ModelFormatException(source.location(), info.name(), "expected dims "
                    + java.util.Arrays.toString(shape.dims()) + " " + shape.names() + " from the metadata, found "
                    + java.util.Arrays.toString(info.dims()));
        }
        if (op == null && info.type() != TensorType.F32) {
            throw new ModelFormatException(source.location(), info.name(), "expected type F32, found " + info.type());
        }
        if (op != null && !backend.supports(op, info.type())) {
            throw unsupported(info.name(), info.type(), op, switch (op) {
                case GET_ROWS -> "embedding lookup";
                case MATMUL_EXPERTS -> "expert matrix product";
                default -> "matrix product";
            });
        }
        BlockScales scales = source.scales(info).orElse(null);
        if (scales == null && info.type() == TensorType.F8_E4M3) {
            throw new ModelFormatException(source.location(), info.name(),
                    "an " + info.type() + " weight needs its block scales (weight_scale_inv); the source has none");
        }
        Tensor tensor = backend.uploadWeights(info.name(), info.type(), info.dims(), source.data(info), scales);
        bytes += tensor.byteSize();
        return keep(tensor);
    }

    private Tensor keep(Tensor tensor) {
        placed.add(tensor);
        return tensor;
    }

    private UnsupportedOperationException unsupported(String name, TensorType type, Op op, String role) {
        return new UnsupportedOperationException(source.location() + ": " + name + ": type " + type
                + " is not supported by kernel backend '" + backend.name() + "' for " + op + " (" + role + ")");
    }

    /** Equal dims, missing trailing ones counting as 1 (as ggml compares them). */
    private static boolean sameDims(TensorInfo info, long[] expected) {
        int rank = Math.max(info.rank(), expected.length);
        for (int i = 0; i < rank; i++) {
            long e = i < expected.length ? expected[i] : 1;
            if (info.dim(i) != e) {
                return false;
            }
        }
        return true;
    }
}
