package dev.petrel.kernels.cuda;

import dev.petrel.api.kernel.BufferUsage;
import dev.petrel.api.kernel.ComputeStream;
import dev.petrel.api.kernel.KernelBackend;
import dev.petrel.api.kernel.MoeRouting;
import dev.petrel.api.kernel.Op;
import dev.petrel.api.kernel.RopeParams;
import dev.petrel.api.kernel.Tensor;
import dev.petrel.api.quant.BlockScales;
import dev.petrel.api.weights.TensorType;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import jcuda.Pointer;
import jcuda.driver.CUDA_MEMCPY2D;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUmemorytype;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

/**
 * One session's queue on the GPU: a CUDA stream, kernels launched on it in order, and scratch
 * memory handed out from device chunks that {@link #resetScratch()} recycles. Writes and reads
 * wait for the stream first, so host copies see every op enqueued before them.
 */
final class CudaStream implements ComputeStream {

    private static final int THREADS = 256;   // the kernels' block size (their shared arrays)
    private static final long CHUNK = 64L << 20;

    private final CudaKernelBackend backend;
    private final CUstream stream = new CUstream();
    private final List<CudaKernelBackend.DeviceMemory> chunks = new ArrayList<>();
    private int chunk;
    private long used;
    private boolean closed;

    CudaStream(CudaKernelBackend backend) {
        this.backend = backend;
        backend.makeCurrent();
        JCudaDriver.cuStreamCreate(stream, 0);
    }

    @Override
    public KernelBackend backend() {
        return backend;
    }

    @Override
    public Tensor scratch(String name, TensorType type, long... dims) {
        long rows = Arrays.stream(dims).skip(1).reduce(1, Math::multiplyExact);
        long bytes = (Math.multiplyExact(type.rowBytes(dims[0]), rows) + 255) & ~255L;
        while (chunk < chunks.size() && used + bytes > chunks.get(chunk).bytes()) {
            chunk++;
            used = 0;
        }
        if (chunk == chunks.size()) {
            chunks.add(backend.allocateMemory("scratch", BufferUsage.COMPUTE, Math.max(CHUNK, bytes)));
            used = 0;
        }
        CudaKernelBackend.DeviceMemory memory = chunks.get(chunk);
        CudaTensor tensor = new CudaTensor(backend, memory, memory.pointer(), used, name, type, dims.clone(), false);
        used += bytes;
        return tensor;
    }

    @Override
    public void resetScratch() {
        sync();
        chunk = 0;
        used = 0;
    }

    @Override
    public void write(MemorySegment src, Tensor dst) {
        CudaTensor d = own(dst, "write", "dst");
        if (src.byteSize() != d.byteSize()) {
            throw new IllegalArgumentException("write: " + src.byteSize() + " bytes for tensor " + d.name() + " of "
                    + d.byteSize());
        }
        sync();
        backend.copyIn(src, d.pointer(), stream);
    }

    @Override
    public void read(Tensor src, MemorySegment dst) {
        CudaTensor s = own(src, "read", "src");
        if (dst.byteSize() != s.byteSize()) {
            throw new IllegalArgumentException("read: tensor " + s.name() + " has " + s.byteSize() + " bytes, "
                    + dst.byteSize() + " given");
        }
        sync();
        backend.copyOut(s.pointer(), dst);
    }

    @Override
    public void sync() {
        backend.checkUsable();
        backend.makeCurrent();
        JCudaDriver.cuStreamSynchronize(stream);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            sync();
        } finally {
            for (CudaKernelBackend.DeviceMemory m : chunks) {
                m.free();
            }
            chunks.clear();
            JCudaDriver.cuStreamDestroy(stream);
        }
    }

    // ---- ops -------------------------------------------------------------------------------

    @Override
    public void getRows(Tensor table, Tensor ids, Tensor out) {
        CudaTensor t = own(table, "getRows", "table");
        CudaTensor i = own(ids, "getRows", "ids");
        CudaTensor o = f32(out, "getRows", "out");
        supported(Op.GET_ROWS, t.type());
        int n = toInt(t.dim(0));
        if (i.type() != TensorType.I32 || o.dim(0) != n || o.rows() != i.elementCount()) {
            throw new IllegalArgumentException("getRows: out " + Arrays.toString(o.dims()) + " must be {" + n + ", "
                    + i.elementCount() + "} and ids I32");
        }
        if (t.type() == TensorType.F8_E4M3) {
            CudaTensor.Scales s = scales(t, "getRows");
            BlockScales b = s.host();
            launch("get_rows_f8", toInt(i.elementCount()), 1, t.pointer(), i.pointer(), o.pointer(), n,
                    s.device().pointer(), t.firstRow(), b.blockRows(), b.blockColumns(), b.rows());
            return;
        }
        launch("get_rows", toInt(i.elementCount()), 1, t.pointer(), code(t.type()), t.type().rowBytes(n), i.pointer(),
                o.pointer(), n);
    }

    @Override
    public void matmul(Tensor w, Tensor x, Tensor out) {
        CudaTensor wt = own(w, "matmul", "w");
        CudaTensor xt = f32(x, "matmul", "x");
        CudaTensor o = f32(out, "matmul", "out");
        supported(Op.MATMUL, wt.type());
        int nIn = toInt(wt.dim(0));
        int nOut = toInt(wt.rows());
        if (xt.dim(0) != nIn || o.dim(0) != nOut || o.rows() != xt.rows()) {
            throw new IllegalArgumentException("matmul: w " + Arrays.toString(wt.dims()) + ", x "
                    + Arrays.toString(xt.dims()) + ", out " + Arrays.toString(o.dims()) + " disagree");
        }
        if (wt.type() == TensorType.F8_E4M3) {
            matmulF8(wt, xt, o, "matmul", nIn, nOut, toInt(xt.rows()), 0, 1, new CUdeviceptr(), 1, false);
            return;
        }
        launch("matmul", nOut, toInt(xt.rows()), wt.pointer(), code(wt.type()), wt.type().rowBytes(nIn), xt.pointer(),
                o.pointer(), nIn, nOut);
    }

    @Override
    public void matmulHeads(Tensor w, Tensor x, Tensor out) {
        CudaTensor wt = own(w, "matmulHeads", "w");
        CudaTensor xt = f32(x, "matmulHeads", "x");
        CudaTensor o = f32(out, "matmulHeads", "out");
        supported(Op.MATMUL_HEADS, wt.type());
        int nIn = toInt(wt.dim(0));
        int nOut = toInt(wt.dim(1));
        int heads = toInt(wt.dim(2));
        if (wt.rank() != 3 || xt.dim(0) != nIn || xt.dim(1) != heads || o.dim(0) != nOut || o.dim(1) != heads
                || o.dim(2) != xt.dim(2)) {
            throw new IllegalArgumentException("matmulHeads: w " + Arrays.toString(wt.dims()) + ", x "
                    + Arrays.toString(xt.dims()) + ", out " + Arrays.toString(o.dims()) + " disagree");
        }
        if (wt.type() == TensorType.F8_E4M3) {
            matmulF8(wt, xt, o, "matmulHeads", nIn, nOut, toInt(o.rows()), 1, heads, new CUdeviceptr(), 1, false);
            return;
        }
        long rowBytes = wt.type().rowBytes(nIn);
        launch("matmul_select", nOut, toInt(o.rows()), wt.pointer(), code(wt.type()), rowBytes, rowBytes * nOut,
                xt.pointer(), o.pointer(), nIn, nOut, 0, heads, new CUdeviceptr(), 1, 0);
    }

    @Override
    public void matmulExperts(Tensor w, Tensor x, Tensor ids, Tensor out) {
        CudaTensor wt = own(w, "matmulExperts", "w");
        CudaTensor xt = f32(x, "matmulExperts", "x");
        CudaTensor it = own(ids, "matmulExperts", "ids");
        CudaTensor o = f32(out, "matmulExperts", "out");
        supported(Op.MATMUL_EXPERTS, wt.type());
        int nIn = toInt(wt.dim(0));
        int nOut = toInt(wt.dim(1));
        int k = toInt(it.dim(0));
        boolean perToken = xt.dim(1) == 1;
        if (wt.rank() != 3 || it.type() != TensorType.I32 || xt.dim(0) != nIn || (!perToken && xt.dim(1) != k)
                || xt.dim(2) != it.dim(1) || o.dim(0) != nOut || o.dim(1) != k || o.dim(2) != it.dim(1)) {
            throw new IllegalArgumentException("matmulExperts: w " + Arrays.toString(wt.dims()) + ", x "
                    + Arrays.toString(xt.dims()) + ", ids " + Arrays.toString(it.dims()) + ", out "
                    + Arrays.toString(o.dims()) + " disagree");
        }
        // Expert ids are not checked against E on the device; the router writes them in range.
        if (wt.type() == TensorType.F8_E4M3) {
            matmulF8(wt, xt, o, "matmulExperts", nIn, nOut, toInt(o.rows()), 2, 1, it.pointer(), k, perToken);
            return;
        }
        long rowBytes = wt.type().rowBytes(nIn);
        launch("matmul_select", nOut, toInt(o.rows()), wt.pointer(), code(wt.type()), rowBytes, rowBytes * nOut,
                xt.pointer(), o.pointer(), nIn, nOut, 1, 1, it.pointer(), k, perToken ? 1 : 0);
    }

    /**
     * The FP8 kernel for the three products (mode 0 plain, 1 per head, 2 per expert): rows of
     * stacked matrices of {@code nOut} rows, the scales applied per block inside the dot.
     */
    private void matmulF8(CudaTensor w, CudaTensor x, CudaTensor out, String what, int nIn, int nOut, int outRows,
            int mode, int heads, CUdeviceptr ids, int k, boolean perToken) {
        CudaTensor.Scales s = scales(w, what);
        BlockScales b = s.host();
        if (b.columns() != nIn) {
            throw new IllegalArgumentException(what + ": " + w.name() + " has rows of " + nIn
                    + " elements, its block scales describe rows of " + b.columns());
        }
        launch("matmul_f8", nOut, outRows, w.pointer(), x.pointer(), out.pointer(), nIn, nOut, mode, heads, ids, k,
                perToken ? 1 : 0, s.device().pointer(), w.firstRow(), b.blockRows(), b.blockColumns(), b.rows());
    }

    private static CudaTensor.Scales scales(CudaTensor t, String what) {
        CudaTensor.Scales s = t.blockScales();
        if (s == null) {
            throw new IllegalArgumentException(what + ": FP8 tensor " + t.name() + " has no block scales");
        }
        return s;
    }

    @Override
    public void add(Tensor a, Tensor b, Tensor out) {
        binary(a, b, out, 0, "add");
    }

    @Override
    public void mul(Tensor a, Tensor b, Tensor out) {
        binary(a, b, out, 1, "mul");
    }

    private void binary(Tensor a, Tensor b, Tensor out, int op, String what) {
        CudaTensor at = f32(a, what, "a");
        CudaTensor bt = f32(b, what, "b");
        CudaTensor o = f32(out, what, "out");
        long[] ad = dims4(at, what);
        long[] bd = dims4(bt, what);
        for (int i = 0; i < 4; i++) {
            if (bd[i] != ad[i] && bd[i] != 1) {
                throw new IllegalArgumentException(what + ": b " + Arrays.toString(bt.dims()) + " does not broadcast over a "
                        + Arrays.toString(at.dims()));
            }
        }
        sameCount(at, o, what);
        long n = at.elementCount();
        launch("binary_f32", blocks(n), 1, at.pointer(), bt.pointer(), o.pointer(), n, op, toInt(ad[0]), toInt(ad[1]),
                toInt(ad[2]), toInt(bd[0]), toInt(bd[1]), toInt(bd[2]), toInt(bd[3]));
    }

    @Override
    public void scale(Tensor x, float factor, Tensor out) {
        CudaTensor xt = f32(x, "scale", "x");
        CudaTensor o = f32(out, "scale", "out");
        sameCount(xt, o, "scale");
        launch("scale_f32", blocks(xt.elementCount()), 1, xt.pointer(), o.pointer(), xt.elementCount(), factor);
    }

    @Override
    public void rmsNorm(Tensor x, Tensor weight, float eps, Tensor out) {
        CudaTensor xt = f32(x, "rmsNorm", "x");
        CudaTensor o = f32(out, "rmsNorm", "out");
        sameCount(xt, o, "rmsNorm");
        CUdeviceptr w = new CUdeviceptr();   // null: no weight
        if (weight != null) {
            CudaTensor wt = f32(weight, "rmsNorm", "weight");
            if (wt.elementCount() != xt.dim(0)) {
                throw new IllegalArgumentException("rmsNorm: weight " + Arrays.toString(wt.dims()) + " for rows of "
                        + xt.dim(0));
            }
            w = wt.pointer();
        }
        launch("rms_norm_f32", toInt(xt.rows()), 1, xt.pointer(), w, o.pointer(), toInt(xt.dim(0)), eps);
    }

    @Override
    public void rope(Tensor x, int position0, int column, RopeParams params, Tensor freqFactors, Tensor out) {
        CudaTensor xt = f32(x, "rope", "x");
        CudaTensor o = f32(out, "rope", "out");
        sameCount(xt, o, "rope");
        if (column < 0 || column + params.dimensions() > xt.dim(0)) {
            throw new IllegalArgumentException("rope: columns [" + column + ", " + (column + params.dimensions())
                    + ") outside rows of " + xt.dim(0));
        }
        CUdeviceptr factors = new CUdeviceptr();
        if (freqFactors != null) {
            CudaTensor f = f32(freqFactors, "rope", "freqFactors");
            if (f.elementCount() < params.dimensions() / 2) {
                throw new IllegalArgumentException("rope: " + f.elementCount() + " frequency factors for "
                        + params.dimensions() / 2 + " pairs");
            }
            factors = f.pointer();
        }
        CudaRope c = CudaRope.of(params);
        launch("rope_f32", toInt(xt.dim(1)), toInt(xt.rows() / xt.dim(1)), xt.pointer(), o.pointer(), toInt(xt.dim(0)),
                toInt(xt.dim(1)), position0, column, params.dimensions(), params.mode() == RopeParams.Mode.NEOX ? 1 : 0,
                c.thetaScale(), params.freqScale(), factors, params.extFactor(), c.correctionLow(), c.correctionHigh(),
                c.magnitude());
    }

    @Override
    public void softmax(Tensor x, float scale, Tensor out) {
        CudaTensor xt = f32(x, "softmax", "x");
        CudaTensor o = f32(out, "softmax", "out");
        sameCount(xt, o, "softmax");
        launch("softmax_f32", toInt(xt.rows()), 1, xt.pointer(), o.pointer(), toInt(xt.dim(0)), scale);
    }

    @Override
    public void sigmoid(Tensor x, Tensor out) {
        CudaTensor xt = f32(x, "sigmoid", "x");
        CudaTensor o = f32(out, "sigmoid", "out");
        sameCount(xt, o, "sigmoid");
        launch("sigmoid_f32", blocks(xt.elementCount()), 1, xt.pointer(), o.pointer(), xt.elementCount());
    }

    @Override
    public void siluMul(Tensor gate, Tensor up, Tensor out) {
        CudaTensor g = f32(gate, "siluMul", "gate");
        CudaTensor u = f32(up, "siluMul", "up");
        CudaTensor o = f32(out, "siluMul", "out");
        sameCount(g, u, "siluMul");
        sameCount(g, o, "siluMul");
        launch("silu_mul_f32", blocks(g.elementCount()), 1, g.pointer(), u.pointer(), o.pointer(), g.elementCount());
    }

    @Override
    public void attention(Tensor q, Tensor k, Tensor v, int valueLength, float scale, int position0, Tensor out) {
        CudaTensor qt = f32(q, "attention", "q");
        CudaTensor kt = own(k, "attention", "k");
        CudaTensor vt = own(v, "attention", "v");
        CudaTensor o = f32(out, "attention", "out");
        supported(Op.ATTENTION, kt.type());
        int dk = toInt(qt.dim(0));
        int heads = toInt(qt.dim(1));
        int tokens = toInt(qt.dim(2));
        int kvHeads = toInt(kt.dim(1));
        int positions = toInt(kt.dim(2));
        if (kt.dim(0) != dk || vt.type() != kt.type() || vt.dim(1) != kvHeads || vt.dim(0) < valueLength
                || heads % kvHeads != 0 || position0 + tokens > positions
                || o.dim(0) != valueLength || o.dim(1) != heads || o.dim(2) != tokens) {
            throw new IllegalArgumentException("attention: q " + Arrays.toString(qt.dims()) + ", k "
                    + Arrays.toString(kt.dims()) + ", v " + Arrays.toString(vt.dims()) + ", out "
                    + Arrays.toString(o.dims()) + ", value length " + valueLength + ", position " + position0);
        }
        CudaTensor scores = (CudaTensor) scratch("attention.scores", TensorType.F32, positions, heads, tokens);
        launch("attention", heads, tokens, qt.pointer(), kt.pointer(), vt.pointer(), code(kt.type()), scores.pointer(),
                o.pointer(), dk, toInt(vt.dim(0)), valueLength, heads, kvHeads, positions, position0, scale);
    }

    @Override
    public void moeRoute(Tensor logits, Tensor bias, MoeRouting routing, Tensor ids, Tensor weights) {
        CudaTensor lt = f32(logits, "moeRoute", "logits");
        CudaTensor it = own(ids, "moeRoute", "ids");
        CudaTensor wt = f32(weights, "moeRoute", "weights");
        int experts = toInt(lt.dim(0));
        long tokens = lt.rows();
        int used = routing.used();
        CUdeviceptr b = new CUdeviceptr();   // null: no score-correction bias
        if (bias != null) {
            CudaTensor bt = f32(bias, "moeRoute", "bias");
            if (bt.elementCount() != experts) {
                throw new IllegalArgumentException("moeRoute: bias of " + bt.elementCount() + " for " + experts + " experts");
            }
            b = bt.pointer();
        }
        if (experts > CudaSupport.MAX_EXPERTS || routing.groupCount() > CudaSupport.MAX_GROUPS) {
            throw new UnsupportedOperationException("moeRoute: " + experts + " experts in " + routing.groupCount()
                    + " groups; the cuda router takes at most " + CudaSupport.MAX_EXPERTS + " in "
                    + CudaSupport.MAX_GROUPS);
        }
        // the groups kept must hold the experts used, else the top-k would pick dropped experts
        if (used > experts || experts % routing.groupCount() != 0
                || used > routing.groupsUsed() * (experts / routing.groupCount()) || it.type() != TensorType.I32
                || it.dim(0) != used || it.rows() != tokens || wt.dim(0) != used || wt.rows() != tokens) {
            throw new IllegalArgumentException("moeRoute: logits " + Arrays.toString(lt.dims()) + ", " + used
                    + " used in " + routing.groupCount() + " groups, ids " + Arrays.toString(it.dims()) + " (I32), weights "
                    + Arrays.toString(wt.dims()) + " disagree");
        }
        launch("moe_route", toInt(tokens), 1, lt.pointer(), b, it.pointer(), wt.pointer(), experts,
                routing.gating() == MoeRouting.Gating.SIGMOID ? 1 : 0, used, routing.groupCount(), routing.groupsUsed(),
                routing.normalize() ? 1 : 0, routing.scale());
    }

    @Override
    public void moeCombine(Tensor expertOut, Tensor weights, Tensor out) {
        CudaTensor e = f32(expertOut, "moeCombine", "expertOut");
        CudaTensor wt = f32(weights, "moeCombine", "weights");
        CudaTensor o = f32(out, "moeCombine", "out");
        int n = toInt(e.dim(0));
        int k = toInt(e.dim(1));
        if (wt.dim(0) != k || wt.dim(1) != e.dim(2) || o.dim(0) != n || o.rows() != e.dim(2)) {
            throw new IllegalArgumentException("moeCombine: expertOut " + Arrays.toString(e.dims()) + ", weights "
                    + Arrays.toString(wt.dims()) + ", out " + Arrays.toString(o.dims()) + " disagree");
        }
        launch("moe_combine_f32", toInt(e.dim(2)), 1, e.pointer(), wt.pointer(), o.pointer(), n, k);
    }

    @Override
    public void argmax(Tensor x, Tensor out) {
        CudaTensor xt = f32(x, "argmax", "x");
        CudaTensor o = own(out, "argmax", "out");
        if (o.type() != TensorType.I32 || o.elementCount() != xt.rows()) {
            throw new IllegalArgumentException("argmax: out must be I32 of " + xt.rows() + " elements");
        }
        launch("argmax_f32", toInt(xt.rows()), 1, xt.pointer(), o.pointer(), toInt(xt.dim(0)));
    }

    @Override
    public void copy(Tensor src, long srcColumn, long columns, Tensor dst, long dstColumn) {
        CudaTensor s = own(src, "copy", "src");
        CudaTensor d = own(dst, "copy", "dst");
        supported(Op.COPY, s.type(), d.type());
        if (s.rows() != d.rows() || srcColumn < 0 || dstColumn < 0 || columns < 0
                || srcColumn + columns > s.dim(0) || dstColumn + columns > d.dim(0)) {
            throw new IllegalArgumentException("copy: columns [" + srcColumn + ", " + (srcColumn + columns) + ") of "
                    + Arrays.toString(s.dims()) + " to [" + dstColumn + ", " + (dstColumn + columns) + ") of "
                    + Arrays.toString(d.dims()));
        }
        if (columns == 0) {
            return;
        }
        if (s.type() == d.type()) {
            // Same type: a strided byte copy of the column range of every row.
            TensorType type = s.type();
            if (srcColumn % type.blockSize() != 0 || dstColumn % type.blockSize() != 0 || columns % type.blockSize() != 0) {
                throw new IllegalArgumentException("copy: " + type + " columns must be whole blocks of " + type.blockSize());
            }
            CUDA_MEMCPY2D copy = new CUDA_MEMCPY2D();
            copy.srcMemoryType = CUmemorytype.CU_MEMORYTYPE_DEVICE;
            copy.srcDevice = s.pointer().withByteOffset(type.rowBytes(srcColumn));
            copy.srcPitch = type.rowBytes(s.dim(0));
            copy.dstMemoryType = CUmemorytype.CU_MEMORYTYPE_DEVICE;
            copy.dstDevice = d.pointer().withByteOffset(type.rowBytes(dstColumn));
            copy.dstPitch = type.rowBytes(d.dim(0));
            copy.WidthInBytes = type.rowBytes(columns);
            copy.Height = s.rows();
            backend.makeCurrent();
            JCudaDriver.cuMemcpy2DAsync(copy, stream);
            return;
        }
        launch("copy_float", toInt(s.rows()), 1, s.pointer(), code(s.type()), s.type().rowBytes(s.dim(0)), srcColumn,
                d.pointer(), code(d.type()), d.type().rowBytes(d.dim(0)), dstColumn, toInt(columns));
    }

    @Override
    public void concat(Tensor a, Tensor b, Tensor out) {
        CudaTensor at = f32(a, "concat", "a");
        CudaTensor bt = f32(b, "concat", "b");
        CudaTensor o = f32(out, "concat", "out");
        int heads = toInt(at.dim(1));
        int bHeads = toInt(bt.dim(1));
        if ((bHeads != heads && bHeads != 1) || bt.dim(2) != at.dim(2) || o.dim(0) != at.dim(0) + bt.dim(0)
                || o.dim(1) != heads || o.dim(2) != at.dim(2)) {
            throw new IllegalArgumentException("concat: a " + Arrays.toString(at.dims()) + ", b "
                    + Arrays.toString(bt.dims()) + ", out " + Arrays.toString(o.dims()) + " disagree");
        }
        launch("concat_f32", heads, toInt(at.dim(2)), at.pointer(), bt.pointer(), o.pointer(), toInt(at.dim(0)),
                toInt(bt.dim(0)), heads, bHeads);
    }

    // ---- helpers -------------------------------------------------------------------------

    /** Launches {@code name} on a (gx, gy) grid of 256-thread blocks with these arguments, in order. */
    private void launch(String name, int gx, int gy, Object... args) {
        backend.checkUsable();
        backend.signatures().check(name, args);
        backend.makeCurrent();
        Pointer[] params = new Pointer[args.length];
        for (int i = 0; i < args.length; i++) {
            params[i] = switch (args[i]) {
                case CUdeviceptr p -> Pointer.to(p);
                case Integer v -> Pointer.to(new int[] {v});
                case Long v -> Pointer.to(new long[] {v});
                case Float v -> Pointer.to(new float[] {v});
                default -> throw new IllegalStateException("kernel argument " + args[i]);
            };
        }
        JCudaDriver.cuLaunchKernel(backend.function(name), Math.max(1, gx), Math.max(1, gy), 1, THREADS, 1, 1, 0, stream,
                Pointer.to(params), null);
    }

    private CudaTensor own(Tensor t, String op, String operand) {
        if (t == null) {
            throw new IllegalArgumentException(op + ": " + operand + " is null");
        }
        if (!(t instanceof CudaTensor c) || t.backend() != backend) {
            throw new IllegalArgumentException(op + ": " + operand + " (" + t.name() + ") is held by kernel backend '"
                    + t.backend().name() + "', not this cuda backend");
        }
        return c;
    }

    private CudaTensor f32(Tensor t, String op, String operand) {
        CudaTensor c = own(t, op, operand);
        if (c.type() != TensorType.F32) {
            throw new IllegalArgumentException(op + ": " + operand + " (" + t.name() + ") must be F32, found " + c.type());
        }
        return c;
    }

    private void supported(Op op, TensorType... types) {
        if (!backend.supports(op, types)) {
            throw new UnsupportedOperationException(op + " of " + Arrays.toString(types) + " is not implemented on the cuda backend");
        }
    }

    private static void sameCount(Tensor a, Tensor b, String op) {
        if (a.elementCount() != b.elementCount() || a.dim(0) != b.dim(0)) {
            throw new IllegalArgumentException(op + ": " + a.name() + " " + Arrays.toString(a.dims()) + " and " + b.name()
                    + " " + Arrays.toString(b.dims()) + " must have the same dims");
        }
    }

    private static long[] dims4(Tensor t, String op) {
        long[] d = t.dims();
        if (d.length > 4) {
            throw new IllegalArgumentException(op + ": " + t.name() + " has more than 4 dims");
        }
        long[] four = {1, 1, 1, 1};
        System.arraycopy(d, 0, four, 0, d.length);
        return four;
    }

    private static int blocks(long n) {
        return toInt((n + THREADS - 1) / THREADS);
    }

    private static int toInt(long v) {
        return Math.toIntExact(v);
    }

    private static int code(TensorType type) {
        return CudaSupport.code(type);
    }
}
