package dev.petrel.kernels.java;

import static dev.petrel.api.weights.TensorType.BF16;
import static dev.petrel.api.weights.TensorType.F16;
import static dev.petrel.api.weights.TensorType.F32;
import static dev.petrel.api.weights.TensorType.I32;
import static dev.petrel.kernels.java.OpChecks.broadcastable;
import static dev.petrel.kernels.java.OpChecks.dim;
import static dev.petrel.kernels.java.OpChecks.elements;
import static dev.petrel.kernels.java.OpChecks.operand;
import static dev.petrel.kernels.java.OpChecks.optional;
import static dev.petrel.kernels.java.OpChecks.require;
import static dev.petrel.kernels.java.OpChecks.rows;
import static dev.petrel.kernels.java.OpChecks.sameDims;
import static dev.petrel.kernels.java.OpChecks.toInt;
import static dev.petrel.kernels.java.OpChecks.type;

import dev.petrel.api.kernel.BackendUnavailableException;
import dev.petrel.api.kernel.ComputeStream;
import dev.petrel.api.kernel.KernelBackend;
import dev.petrel.api.kernel.MoeRouting;
import dev.petrel.api.kernel.Op;
import dev.petrel.api.kernel.RopeParams;
import dev.petrel.api.kernel.Tensor;
import dev.petrel.api.weights.TensorType;
import java.lang.foreign.MemorySegment;

/**
 * A stream of a host backend: each op is checked, then computed before the method returns,
 * so {@link #sync()} has nothing to wait for. Owns the session's scratch tensors and the
 * kernels' workspace, both reused from step to step.
 */
final class HostStream implements ComputeStream {

    private final HostBackend backend;
    private final OpKernels kernels;
    private final ScratchArena scratch;
    private final Workspace workspace;
    private boolean closed;

    HostStream(HostBackend backend, OpKernels kernels) {
        this.backend = backend;
        this.kernels = kernels;
        this.scratch = new ScratchArena(backend);
        this.workspace = new Workspace(backend, kernels.participants());
    }

    @Override
    public KernelBackend backend() {
        return backend;
    }

    @Override
    public Tensor scratch(String name, TensorType type, long... dims) {
        checkOpen();
        if (!backend.holds(type)) {
            throw new UnsupportedOperationException("scratch tensor " + name + ": type " + type
                    + " cannot be held by the " + backend.name() + " backend");
        }
        return scratch.take(name, type, dims);
    }

    @Override
    public void resetScratch() {
        checkOpen();
        scratch.reset();
    }

    @Override
    public void write(MemorySegment src, Tensor dst) {
        checkOpen();
        HostTensor target = operand(null, "dst", dst, backend);
        require(null, src.byteSize() >= target.byteSize(), "write to " + target.name() + ": source holds "
                + src.byteSize() + " bytes, the tensor " + target.byteSize());
        target.discardPacked();
        run(() -> MemorySegment.copy(src, 0, target.data(), 0, target.byteSize()));
    }

    @Override
    public void read(Tensor src, MemorySegment dst) {
        checkOpen();
        HostTensor source = operand(null, "src", src, backend);
        require(null, dst.byteSize() >= source.byteSize(), "read of " + source.name() + ": destination holds "
                + dst.byteSize() + " bytes, the tensor " + source.byteSize());
        run(() -> MemorySegment.copy(source.data(), 0, dst, 0, source.byteSize()));
    }

    @Override
    public void sync() {
        checkOpen();
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            scratch.close();
            workspace.close();
        }
    }

    // ---- ops -------------------------------------------------------------------------

    @Override
    public void getRows(Tensor table, Tensor ids, Tensor out) {
        checkOpen();
        Op op = Op.GET_ROWS;
        HostTensor t = operand(op, "table", table, backend);
        HostTensor i = operand(op, "ids", ids, backend);
        HostTensor o = operand(op, "out", out, backend);
        weightType(op, t);
        type(op, "ids", i, I32);
        type(op, "out", o, F32);
        dim(op, "out", o, 0, t.dim(0), "the table's row length");
        rows(op, "out", o, i.elementCount(), "one per id");
        run(() -> kernels.getRows(t, ids(op, i, t.rows(), "the table's rows"), o, workspace));
    }

    @Override
    public void matmul(Tensor w, Tensor x, Tensor out) {
        checkOpen();
        Op op = Op.MATMUL;
        HostTensor weights = operand(op, "w", w, backend);
        HostTensor input = operand(op, "x", x, backend);
        HostTensor output = operand(op, "out", out, backend);
        weightType(op, weights);
        type(op, "x", input, F32);
        type(op, "out", output, F32);
        dim(op, "x", input, 0, weights.dim(0), "w's n_in");
        dim(op, "out", output, 0, weights.rows(), "w's n_out");
        rows(op, "out", output, input.rows(), "x's rows");
        int nOut = toInt(op, "n_out", weights.rows());
        int[] rowsOfX = sequence(toInt(op, "x rows", input.rows()));
        run(() -> kernels.matmul(weights, 0, nOut, input, rowsOfX, output, rowsOfX, workspace));
    }

    @Override
    public void matmulHeads(Tensor w, Tensor x, Tensor out) {
        checkOpen();
        Op op = Op.MATMUL_HEADS;
        HostTensor weights = operand(op, "w", w, backend);
        HostTensor input = operand(op, "x", x, backend);
        HostTensor output = operand(op, "out", out, backend);
        weightType(op, weights);
        type(op, "x", input, F32);
        type(op, "out", output, F32);
        long heads = weights.dim(2);
        require(op, weights.rank() == 3 && input.rank() <= 3, "w (" + weights.name() + ") must be {n_in, n_out, H}"
                + " and x {n_in, H, T}");
        dim(op, "x", input, 0, weights.dim(0), "w's n_in");
        dim(op, "x", input, 1, heads, "w's heads");
        dim(op, "out", output, 0, weights.dim(1), "w's n_out");
        dim(op, "out", output, 1, heads, "w's heads");
        dim(op, "out", output, 2, input.dim(2), "x's tokens");
        int nOut = toInt(op, "n_out", weights.dim(1));
        int tokens = toInt(op, "tokens", input.dim(2));
        run(() -> {
            int[] rowsOfHead = new int[tokens];
            for (int h = 0; h < heads; h++) {
                for (int t = 0; t < tokens; t++) {
                    rowsOfHead[t] = (int) (t * heads + h);
                }
                kernels.matmul(weights, h * (long) nOut, nOut, input, rowsOfHead, output, rowsOfHead, workspace);
            }
        });
    }

    @Override
    public void matmulExperts(Tensor w, Tensor x, Tensor ids, Tensor out) {
        checkOpen();
        Op op = Op.MATMUL_EXPERTS;
        HostTensor weights = operand(op, "w", w, backend);
        HostTensor input = operand(op, "x", x, backend);
        HostTensor chosen = operand(op, "ids", ids, backend);
        HostTensor output = operand(op, "out", out, backend);
        weightType(op, weights);
        type(op, "x", input, F32);
        type(op, "ids", chosen, I32);
        type(op, "out", output, F32);
        require(op, weights.rank() == 3, "w (" + weights.name() + ") must be {n_in, n_out, E}");
        long used = chosen.dim(0);
        long tokens = chosen.dim(1);
        dim(op, "x", input, 0, weights.dim(0), "w's n_in");
        require(op, input.dim(1) == 1 || input.dim(1) == used, "operand x (" + input.name() + ") dim 1 is "
                + input.dim(1) + ", expected 1 or " + used + " (ids' experts per token)");
        dim(op, "x", input, 2, tokens, "ids' tokens");
        dim(op, "out", output, 0, weights.dim(1), "w's n_out");
        dim(op, "out", output, 1, used, "ids' experts per token");
        dim(op, "out", output, 2, tokens, "ids' tokens");
        int nOut = toInt(op, "n_out", weights.dim(1));
        int[] expertOf = ids(op, chosen, weights.dim(2), "w's experts");
        boolean sharedInput = input.dim(1) == 1;
        run(() -> {
            // Group the (k, t) pairs by expert: each chosen expert's matrix is read once.
            int experts = (int) weights.dim(2);
            int[] counts = new int[experts];
            for (int e : expertOf) {
                counts[e]++;
            }
            for (int e = 0; e < experts; e++) {
                if (counts[e] == 0) {
                    continue;
                }
                int[] xRows = new int[counts[e]];
                int[] outRows = new int[counts[e]];
                int n = 0;
                for (int slot = 0; slot < expertOf.length; slot++) {
                    if (expertOf[slot] == e) {
                        xRows[n] = sharedInput ? (int) (slot / used) : slot;
                        outRows[n++] = slot;
                    }
                }
                kernels.matmulExperts(weights, e * (long) nOut, nOut, input, xRows, output, outRows, workspace);
            }
        });
    }

    @Override
    public void add(Tensor a, Tensor b, Tensor out) {
        binary(Op.ADD, a, b, out);
    }

    @Override
    public void mul(Tensor a, Tensor b, Tensor out) {
        binary(Op.MUL, a, b, out);
    }

    private void binary(Op op, Tensor a, Tensor b, Tensor out) {
        checkOpen();
        HostTensor left = operand(op, "a", a, backend);
        HostTensor right = operand(op, "b", b, backend);
        HostTensor output = operand(op, "out", out, backend);
        type(op, "a", left, F32);
        type(op, "b", right, F32);
        type(op, "out", output, F32);
        broadcastable(op, left, right);
        sameDims(op, "out", output, "a", left);
        run(() -> {
            if (op == Op.ADD) {
                kernels.add(left, right, output);
            } else {
                kernels.mul(left, right, output);
            }
        });
    }

    @Override
    public void scale(Tensor x, float factor, Tensor out) {
        checkOpen();
        Op op = Op.SCALE;
        HostTensor input = unaryInput(op, x, out);
        HostTensor output = operand(op, "out", out, backend);
        run(() -> kernels.scale(input, factor, output));
    }

    @Override
    public void rmsNorm(Tensor x, Tensor weight, float eps, Tensor out) {
        checkOpen();
        Op op = Op.RMS_NORM;
        HostTensor input = unaryInput(op, x, out);
        HostTensor output = operand(op, "out", out, backend);
        HostTensor gain = optional(op, "weight", weight, backend);
        if (gain != null) {
            type(op, "weight", gain, F32);
            elements(op, "weight", gain, input.dim(0), "x's row length");
        }
        require(op, eps >= 0, "eps must not be negative: " + eps);
        run(() -> kernels.rmsNorm(input, gain, eps, output));
    }

    @Override
    public void rope(Tensor x, int position0, int column, RopeParams params, Tensor freqFactors, Tensor out) {
        checkOpen();
        Op op = Op.ROPE;
        HostTensor input = unaryInput(op, x, out);
        HostTensor output = operand(op, "out", out, backend);
        HostTensor factors = optional(op, "freqFactors", freqFactors, backend);
        require(op, params != null, "params are null");
        require(op, input.rank() <= 3, "x (" + input.name() + ") must be {d, heads, T}");
        require(op, position0 >= 0, "position0 " + position0 + " is negative");
        require(op, column >= 0 && column + params.dimensions() <= input.dim(0), "rotated elements [" + column + ", "
                + (column + params.dimensions()) + ") do not fit head rows of " + input.dim(0));
        require(op, position0 + input.dim(2) <= Integer.MAX_VALUE, "positions exceed the int range");
        if (factors != null) {
            type(op, "freqFactors", factors, F32);
            require(op, factors.elementCount() >= params.dimensions() / 2, "freqFactors (" + factors.name() + ") has "
                    + factors.elementCount() + " elements, expected " + params.dimensions() / 2);
        }
        run(() -> {
            float[] divisors = factors == null ? null : floats(factors, params.dimensions() / 2);
            kernels.rope(input, position0, column, params, divisors, output);
        });
    }

    @Override
    public void softmax(Tensor x, float scale, Tensor out) {
        checkOpen();
        Op op = Op.SOFTMAX;
        HostTensor input = unaryInput(op, x, out);
        HostTensor output = operand(op, "out", out, backend);
        run(() -> kernels.softmax(input, scale, output, workspace));
    }

    @Override
    public void sigmoid(Tensor x, Tensor out) {
        checkOpen();
        Op op = Op.SIGMOID;
        HostTensor input = unaryInput(op, x, out);
        HostTensor output = operand(op, "out", out, backend);
        run(() -> kernels.sigmoid(input, output));
    }

    @Override
    public void siluMul(Tensor gate, Tensor up, Tensor out) {
        checkOpen();
        Op op = Op.SILU_MUL;
        HostTensor g = unaryInput(op, gate, out);
        HostTensor u = operand(op, "up", up, backend);
        HostTensor output = operand(op, "out", out, backend);
        type(op, "up", u, F32);
        sameDims(op, "up", u, "gate", g);
        run(() -> kernels.siluMul(g, u, output));
    }

    @Override
    public void attention(Tensor q, Tensor k, Tensor v, int valueLength, float scale, int position0, Tensor out) {
        checkOpen();
        Op op = Op.ATTENTION;
        HostTensor query = operand(op, "q", q, backend);
        HostTensor keys = operand(op, "k", k, backend);
        HostTensor values = operand(op, "v", v, backend);
        HostTensor output = operand(op, "out", out, backend);
        type(op, "q", query, F32);
        type(op, "k", keys, F32, F16, BF16);
        type(op, "v", values, keys.type());
        type(op, "out", output, F32);
        long heads = query.dim(1);
        long tokens = query.dim(2);
        long kvHeads = keys.dim(1);
        require(op, query.rank() <= 3 && keys.rank() <= 3 && values.rank() <= 3, "q, k and v must have 3 dims at most");
        dim(op, "k", keys, 0, query.dim(0), "q's head length");
        require(op, kvHeads >= 1 && heads % kvHeads == 0, "q's " + heads + " heads are not a multiple of k's "
                + kvHeads + " key/value heads");
        dim(op, "v", values, 1, kvHeads, "k's key/value heads");
        require(op, position0 >= 0, "position0 " + position0 + " is negative");
        require(op, position0 + tokens <= keys.dim(2), "k (" + keys.name() + ") holds " + keys.dim(2)
                + " positions, the batch needs " + (position0 + tokens));
        require(op, position0 + tokens <= values.dim(2), "v (" + values.name() + ") holds " + values.dim(2)
                + " positions, the batch needs " + (position0 + tokens));
        require(op, valueLength >= 1 && valueLength <= values.dim(0), "valueLength " + valueLength
                + " must lie in [1, " + values.dim(0) + "] (v's row length)");
        dim(op, "out", output, 0, valueLength, "valueLength");
        dim(op, "out", output, 1, heads, "q's heads");
        dim(op, "out", output, 2, tokens, "q's tokens");
        run(() -> kernels.attention(query, keys, values, valueLength, scale, position0, output, workspace));
    }

    @Override
    public void moeRoute(Tensor logits, Tensor bias, MoeRouting routing, Tensor ids, Tensor weights) {
        checkOpen();
        Op op = Op.MOE_ROUTE;
        HostTensor scores = operand(op, "logits", logits, backend);
        HostTensor correction = optional(op, "bias", bias, backend);
        HostTensor chosen = operand(op, "ids", ids, backend);
        HostTensor gates = operand(op, "weights", weights, backend);
        require(op, routing != null, "routing is null");
        type(op, "logits", scores, F32);
        type(op, "ids", chosen, I32);
        type(op, "weights", gates, F32);
        long experts = scores.dim(0);
        if (correction != null) {
            type(op, "bias", correction, F32);
            elements(op, "bias", correction, experts, "logits' experts");
        }
        require(op, routing.used() <= experts, "routing uses " + routing.used() + " experts of " + experts);
        require(op, experts % routing.groupCount() == 0, experts + " experts do not split into "
                + routing.groupCount() + " groups");
        require(op, routing.used() <= routing.groupsUsed() * (experts / routing.groupCount()), "routing uses "
                + routing.used() + " experts, more than the " + routing.groupsUsed() + " kept groups hold");
        dim(op, "ids", chosen, 0, routing.used(), "experts used per token");
        rows(op, "ids", chosen, scores.rows(), "logits' tokens");
        sameDims(op, "weights", gates, "ids", chosen);
        run(() -> kernels.moeRoute(scores, correction, routing, chosen, gates, workspace));
    }

    @Override
    public void moeCombine(Tensor expertOut, Tensor weights, Tensor out) {
        checkOpen();
        Op op = Op.MOE_COMBINE;
        HostTensor experts = operand(op, "expertOut", expertOut, backend);
        HostTensor gates = operand(op, "weights", weights, backend);
        HostTensor output = operand(op, "out", out, backend);
        type(op, "expertOut", experts, F32);
        type(op, "weights", gates, F32);
        type(op, "out", output, F32);
        require(op, experts.rank() <= 3, "expertOut must be {n, K, T}");
        dim(op, "weights", gates, 0, experts.dim(1), "expertOut's experts per token");
        dim(op, "weights", gates, 1, experts.dim(2), "expertOut's tokens");
        dim(op, "out", output, 0, experts.dim(0), "expertOut's row length");
        rows(op, "out", output, experts.dim(2), "expertOut's tokens");
        run(() -> kernels.moeCombine(experts, gates, output));
    }

    @Override
    public void argmax(Tensor x, Tensor out) {
        checkOpen();
        Op op = Op.ARGMAX;
        HostTensor input = operand(op, "x", x, backend);
        HostTensor output = operand(op, "out", out, backend);
        type(op, "x", input, F32);
        type(op, "out", output, I32);
        elements(op, "out", output, input.rows(), "one per row of x");
        run(() -> kernels.argmax(input, output));
    }

    @Override
    public void copy(Tensor src, long srcColumn, long columns, Tensor dst, long dstColumn) {
        checkOpen();
        Op op = Op.COPY;
        HostTensor from = operand(op, "src", src, backend);
        HostTensor to = operand(op, "dst", dst, backend);
        boolean converts = from.type() != to.type();
        require(op, !converts || (isFloat(from.type()) && isFloat(to.type())), "cannot convert " + from.type()
                + " to " + to.type() + " (conversions are between F32, F16 and BF16)");
        rows(op, "dst", to, from.rows(), "src's rows");
        require(op, columns >= 0 && srcColumn >= 0 && srcColumn + columns <= from.dim(0), "columns [" + srcColumn
                + ", " + (srcColumn + columns) + ") do not fit src rows of " + from.dim(0));
        require(op, dstColumn >= 0 && dstColumn + columns <= to.dim(0), "columns [" + dstColumn + ", "
                + (dstColumn + columns) + ") do not fit dst rows of " + to.dim(0));
        int block = from.type().blockSize();
        require(op, srcColumn % block == 0 && columns % block == 0 && dstColumn % block == 0, "columns of "
                + from.type() + " must be whole blocks of " + block);
        to.discardPacked();
        run(() -> kernels.copy(from, srcColumn, columns, to, dstColumn));
    }

    @Override
    public void concat(Tensor a, Tensor b, Tensor out) {
        checkOpen();
        Op op = Op.CONCAT;
        HostTensor first = operand(op, "a", a, backend);
        HostTensor second = operand(op, "b", b, backend);
        HostTensor output = operand(op, "out", out, backend);
        type(op, "a", first, F32);
        type(op, "b", second, F32);
        type(op, "out", output, F32);
        require(op, first.rank() <= 3 && second.rank() <= 3 && output.rank() <= 3, "operands must be {n, H, T}");
        require(op, second.dim(1) == first.dim(1) || second.dim(1) == 1, "operand b (" + second.name() + ") dim 1 is "
                + second.dim(1) + ", expected " + first.dim(1) + " (a's heads) or 1");
        dim(op, "b", second, 2, first.dim(2), "a's tokens");
        dim(op, "out", output, 0, first.dim(0) + second.dim(0), "a's plus b's row length");
        dim(op, "out", output, 1, first.dim(1), "a's heads");
        dim(op, "out", output, 2, first.dim(2), "a's tokens");
        run(() -> kernels.concat(first, second, output));
    }

    // ---- helpers ---------------------------------------------------------------------

    /** Checks an F32 input of an op whose F32 output has the same dims. */
    private HostTensor unaryInput(Op op, Tensor x, Tensor out) {
        HostTensor input = operand(op, "x", x, backend);
        HostTensor output = operand(op, "out", out, backend);
        type(op, "x", input, F32);
        type(op, "out", output, F32);
        sameDims(op, "out", output, "x", input);
        return input;
    }

    private void weightType(Op op, HostTensor weights) {
        if (!kernels.readsWeights(weights.type())) {
            throw new UnsupportedOperationException(op + " with " + weights.type() + " weights (" + weights.name()
                    + ") is not supported by the " + backend.name() + " backend");
        }
    }

    /** The ids of an I32 tensor, each checked to lie in {@code [0, bound)}. */
    private int[] ids(Op op, HostTensor ids, long bound, String what) {
        int[] values = new int[toInt(op, "ids", ids.elementCount())];
        MemorySegment.copy(ids.data(), dev.petrel.kernels.java.numerics.F32.INT, 0, values, 0, values.length);
        for (int i = 0; i < values.length; i++) {
            if (values[i] < 0 || values[i] >= bound) {
                throw new IllegalArgumentException(op + ": id " + values[i] + " at index " + i + " of " + ids.name()
                        + " is outside [0, " + bound + ") (" + what + ")");
            }
        }
        return values;
    }

    private static float[] floats(HostTensor tensor, int count) {
        float[] values = new float[count];
        MemorySegment.copy(tensor.data(), dev.petrel.kernels.java.numerics.F32.FLOAT, 0, values, 0, count);
        return values;
    }

    private static int[] sequence(int n) {
        int[] values = new int[n];
        for (int i = 0; i < n; i++) {
            values[i] = i;
        }
        return values;
    }

    private static boolean isFloat(TensorType type) {
        return type == F32 || type == F16 || type == BF16;
    }

    private void checkOpen() {
        backend.checkUsable();
        if (closed) {
            throw new IllegalStateException("stream of backend " + backend.name() + " is closed");
        }
    }

    /** Runs an op; memory freed under it by a backend that shut down reads as the backend's departure. */
    private void run(Runnable op) {
        try {
            op.run();
        } catch (IllegalStateException e) {
            if (backend.isClosed()) {
                throw new BackendUnavailableException("kernel backend " + backend.name() + " shut down during an op", e);
            }
            throw e;
        }
    }
}
