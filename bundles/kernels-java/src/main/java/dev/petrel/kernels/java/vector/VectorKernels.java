package dev.petrel.kernels.java.vector;

import dev.petrel.api.kernel.MoeRouting;
import dev.petrel.api.kernel.RopeParams;
import dev.petrel.api.weights.TensorType;
import dev.petrel.kernels.java.HostTensor;
import dev.petrel.kernels.java.OpKernels;
import dev.petrel.kernels.java.Workspace;
import dev.petrel.kernels.java.numerics.F32;
import dev.petrel.kernels.java.numerics.Ggml;
import dev.petrel.kernels.java.scalar.Attention;
import dev.petrel.kernels.java.scalar.Broadcast;
import dev.petrel.kernels.java.scalar.Copies;
import dev.petrel.kernels.java.scalar.Elementwise;
import dev.petrel.kernels.java.scalar.MoeRouter;
import dev.petrel.kernels.java.scalar.Rope;
import dev.petrel.kernels.java.scalar.Rows;
import dev.petrel.api.quant.BlockScales;
import dev.petrel.quant.kernel.F32Kernel;
import dev.petrel.quant.kernel.F8E4M3Kernel;
import dev.petrel.quant.kernel.Q4_0Interleaved;
import dev.petrel.quant.kernel.Q8_0Interleaved;
import dev.petrel.quant.kernel.QuantKernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The fast backend: matmuls on the quant bundle's Vector API kernels, element-wise ops on
 * vector lanes, and the work of each op split across a {@link WorkerPool}. Matmuls split the
 * output rows (each weight row is read by one thread, once per batch of tokens), attention
 * splits the (head, token) pairs, row ops split rows.
 *
 * <p>Each output element is computed by one thread in a fixed order, so results do not depend
 * on the thread count. Memory moves and tiny ops (GET_ROWS, COPY, CONCAT, ARGMAX, MOE_ROUTE,
 * the RoPE angles) share the reference code: there is nothing to vectorise in them, and sharing
 * keeps them bit-identical.
 */
public final class VectorKernels implements OpKernels {

    /** Below this many elements an element-wise op runs on the caller alone. */
    private static final int PARALLEL_ELEMENTS = 1 << 15;
    /** Weight rows per matmul chunk, at least: enough work to pay for claiming a chunk. */
    private static final int MIN_ROWS_PER_CHUNK = 8;
    /** Bytes of activations a matmul keeps hot while its chunk of weight rows passes over them. */
    private static final long ACTIVATION_TILE_BYTES = 256 * 1024;
    /** Largest cache, keys and values, that attention widens to floats at once by default (64 MiB). */
    private static final long WIDENED_CACHE_FLOATS = 16L << 20;

    private final WorkerPool pool;
    private final long widenedCacheFloats;

    public VectorKernels(WorkerPool pool) {
        this(pool, WIDENED_CACHE_FLOATS);
    }

    /**
     * @param widenedCacheFloats the largest cache (keys and values, in floats) that attention
     *        widens at once; larger ones, and 0 for all, take the per-row path
     */
    public VectorKernels(WorkerPool pool, long widenedCacheFloats) {
        this.pool = pool;
        this.widenedCacheFloats = widenedCacheFloats;
    }

    @Override
    public int participants() {
        return pool.threads();
    }

    @Override
    public boolean readsWeights(TensorType type) {
        return QuantKernel.supports(type);
    }

    /**
     * Q8_0 and Q4_0 matrices (two dims) of at least one group of rows get a row-interleaved copy (the quant
     * bundle's {@link Q8_0Interleaved} and {@link Q4_0Interleaved}): same results, bit for bit,
     * without the per-row lane reductions.
     */
    @Override
    public MemorySegment repackWeights(TensorType type, long[] dims, MemorySegment data, Arena arena) {
        if (dims.length > 2) {
            // Stacked matrices (experts, per-head) run on the plain kernels: MATMUL_EXPERTS
            // needs ggml's vec_dot order, which the interleaved copy cannot give, and a copy of
            // every expert would double the largest part of a MoE model.
            return null;
        }
        int n = (int) dims[0];
        long rows = data.byteSize() / Math.max(1, type.rowBytes(n));
        return switch (type) {
            case Q8_0 -> Q8_0Interleaved.supported() && rows >= Q8_0Interleaved.GROUP
                    ? Q8_0Interleaved.repack(data, 0, rows, n, arena) : null;
            case Q4_0 -> Q4_0Interleaved.supported() && rows >= Q4_0Interleaved.GROUP
                    ? Q4_0Interleaved.repack(data, 0, rows, n, arena) : null;
            default -> null;
        };
    }

    @Override
    public void getRows(HostTensor table, int[] ids, HostTensor out, Workspace workspace) {
        int n = (int) table.dim(0);
        MemorySegment dst = out.data();
        pool.run(chunks(ids.length, Math.max(1, PARALLEL_ELEMENTS / n)), (c, p) -> {
            float[] row = workspace.floats(p, 0, n);
            int per = perChunk(ids.length, Math.max(1, PARALLEL_ELEMENTS / n));
            for (int t = c * per, end = Math.min(ids.length, t + per); t < end; t++) {
                Rows.dequantize(table, ids[t], row);
                F32.write(row, 0, dst, (long) t * n, n);
            }
        });
    }

    @Override
    public void matmul(HostTensor w, long firstWeightRow, int outLength, HostTensor x, int[] xRows, HostTensor out,
            int[] outRows, Workspace workspace) {
        QuantKernel kernel = QuantKernel.vector(w.type());
        int n = (int) w.dim(0);
        int tokens = xRows.length;
        long activationBytes = kernel.activationBytes(n);
        MemorySegment activations = workspace.shared(Workspace.QUANTIZED_ACTIVATIONS, activationBytes * tokens);
        MemorySegment input = x.data();
        int tokensPerChunk = perChunk(tokens, 4);
        pool.run(chunks(tokens, 4), (c, p) -> {
            for (int t = c * tokensPerChunk, end = Math.min(tokens, t + tokensPerChunk); t < end; t++) {
                kernel.quantizeActivations(input, (long) xRows[t] * n * Float.BYTES, activations, t * activationBytes, n);
            }
        });

        MemorySegment weights = w.data();
        MemorySegment output = out.data();
        if (w.scales().isPresent()) {
            matmulScaled(w, firstWeightRow, outLength, activations, tokens, activationBytes, out, outRows, workspace);
            return;
        }
        MemorySegment packed = w.packedRows();
        TensorType type = w.type();
        int group = packed == null ? 1
                : type == TensorType.Q8_0 ? Q8_0Interleaved.ROWS_PER_PASS : Q4_0Interleaved.ROWS_PER_PASS;
        long firstPacked = packed == null ? 0 : w.firstPackedRow() + firstWeightRow;
        long rowBytes = w.rowBytes();
        long outRowLength = out.dim(0);
        int stride = uniformStride(outRows);
        int pass = Q8_0Interleaved.TOKENS_PER_PASS; // Q4_0's is the same
        int tile = (int) Math.max(pass, Math.min(tokens, ACTIVATION_TILE_BYTES / activationBytes) / pass * pass);
        // whole passes of groups per chunk, so that only the ends of the range miss the interleaved
        // copy and its widest kernel
        RowChunks chunks = matmulChunks(outLength, group);
        pool.run(chunks.count(), (c, p) -> {
            int r0 = chunks.start(c);
            int rows = chunks.rows(c);
            long wOffset = (firstWeightRow + r0) * rowBytes;
            for (int t0 = 0; t0 < tokens; t0 += tile) {
                int count = Math.min(tile, tokens - t0);
                long xOffset = t0 * activationBytes;
                if (stride >= 0) {
                    long outOffset = (outRows[t0] * outRowLength + r0) * Float.BYTES;
                    long outStride = stride * outRowLength * Float.BYTES;
                    if (packed == null) {
                        kernel.matmul(weights, wOffset, rows, activations, xOffset, count, output, outOffset,
                                outStride, n);
                    } else if (type == TensorType.Q8_0) {
                        Q8_0Interleaved.matmul(weights, packed, firstPacked + r0, rows, activations, xOffset, count,
                                output, outOffset, outStride, n);
                    } else {
                        Q4_0Interleaved.matmul(weights, packed, firstPacked + r0, rows, activations, xOffset, count,
                                output, outOffset, outStride, n);
                    }
                } else {
                    float[] block = workspace.floats(p, 0, rows * count);
                    if (packed == null) {
                        kernel.matmul(weights, wOffset, rows, activations, xOffset, count, block, 0, rows, n);
                    } else if (type == TensorType.Q8_0) {
                        Q8_0Interleaved.matmul(weights, packed, firstPacked + r0, rows, activations, xOffset, count,
                                block, 0, rows, n);
                    } else {
                        Q4_0Interleaved.matmul(weights, packed, firstPacked + r0, rows, activations, xOffset, count,
                                block, 0, rows, n);
                    }
                    for (int t = 0; t < count; t++) {
                        F32.write(block, t * rows, output, outRows[t0 + t] * outRowLength + r0, rows);
                    }
                }
            }
        });
    }

    /**
     * Each chosen expert's rows in ggml's {@code vec_dot} order (see {@link OpKernels#matmulExperts});
     * for Q8_0 that order needs per-lane float sums, so the interleaved copy is not used here.
     * Threads split the weight rows; every row is read once for all the tokens routed to it.
     */
    @Override
    public void matmulExperts(HostTensor w, long firstWeightRow, int outLength, HostTensor x, int[] xRows,
            HostTensor out, int[] outRows, Workspace workspace) {
        if (w.type() != TensorType.Q8_0) {
            matmul(w, firstWeightRow, outLength, x, xRows, out, outRows, workspace);
            return;
        }
        QuantKernel kernel = QuantKernel.vector(w.type());
        int n = (int) w.dim(0);
        int tokens = xRows.length;
        long activationBytes = kernel.activationBytes(n);
        MemorySegment activations = workspace.shared(Workspace.QUANTIZED_ACTIVATIONS, activationBytes * tokens);
        MemorySegment input = x.data();
        for (int t = 0; t < tokens; t++) {
            kernel.quantizeActivations(input, (long) xRows[t] * n * Float.BYTES, activations, t * activationBytes, n);
        }
        MemorySegment weights = w.data();
        MemorySegment output = out.data();
        long rowBytes = w.rowBytes();
        long outRowLength = out.dim(0);
        RowChunks chunks = matmulChunks(outLength, 1);
        pool.run(chunks.count(), (c, p) -> {
            for (int r = chunks.start(c), end = r + chunks.rows(c); r < end; r++) {
                long wOffset = (firstWeightRow + r) * rowBytes;
                for (int t = 0; t < tokens; t++) {
                    float dot = kernel.dotInVecDotOrder(weights, wOffset, activations, t * activationBytes, n);
                    F32.set(output, outRows[t] * outRowLength + r, dot);
                }
            }
        });
    }

    /**
     * A block-scaled (FP8) weight: the scales are applied inside each dot product; chunks of
     * rows split across threads as for the other types.
     */
    private void matmulScaled(HostTensor w, long firstWeightRow, int outLength, MemorySegment activations, int tokens,
            long activationBytes, HostTensor out, int[] outRows, Workspace workspace) {
        F8E4M3Kernel kernel = F8E4M3Kernel.VECTOR;
        BlockScales scales = w.scales().orElseThrow();
        MemorySegment weights = w.data();
        MemorySegment output = out.data();
        int n = (int) w.dim(0);
        long rowBytes = w.rowBytes();
        long scaleRow = w.firstPackedRow() + firstWeightRow;
        long outRowLength = out.dim(0);
        RowChunks chunks = matmulChunks(outLength, 1);
        int tile = (int) Math.max(1, Math.min(tokens, ACTIVATION_TILE_BYTES / activationBytes));
        pool.run(chunks.count(), (c, p) -> {
            int r0 = chunks.start(c);
            int rows = chunks.rows(c);
            float[] block = workspace.floats(p, 0, rows * tile);
            for (int t0 = 0; t0 < tokens; t0 += tile) {
                int count = Math.min(tile, tokens - t0);
                kernel.matmulScaled(weights, (firstWeightRow + r0) * rowBytes, scaleRow + r0, rows, scales, activations,
                        t0 * activationBytes, count, block, 0, rows, n);
                for (int t = 0; t < count; t++) {
                    F32.write(block, t * rows, output, outRows[t0 + t] * outRowLength + r0, rows);
                }
            }
        });
    }

    /** The constant step between consecutive output rows, or -1 when there is none. */
    private static int uniformStride(int[] rows) {
        if (rows.length < 2) {
            return 0;
        }
        int stride = rows[1] - rows[0];
        for (int i = 2; i < rows.length; i++) {
            if (rows[i] - rows[i - 1] != stride) {
                return -1;
            }
        }
        return stride > 0 ? stride : -1;
    }

    @Override
    public void add(HostTensor a, HostTensor b, HostTensor out) {
        binary(true, a, b, out);
    }

    @Override
    public void mul(HostTensor a, HostTensor b, HostTensor out) {
        binary(false, a, b, out);
    }

    /**
     * The broadcasts a forward pass uses: {@code b} of the same dims, one row over all rows (a
     * bias, a norm weight), one value per row (a gate). Anything else goes element by element.
     */
    private void binary(boolean add, HostTensor a, HostTensor b, HostTensor out) {
        MemorySegment x = a.data();
        MemorySegment y = b.data();
        MemorySegment dst = out.data();
        int n = (int) a.dim(0);
        long rows = a.rows();
        // The stream checked that each dim of b is a's or 1, so equal row counts mean equal outer dims.
        boolean sameRows = b.rows() == rows;
        boolean fullRows = b.dim(0) == n;
        if (!sameRows && b.rows() != 1) {
            Broadcast.apply(a, b, out, add ? Float::sum : (p, q) -> p * q);
            return;
        }
        forRows(rows, n, (r0, r1) -> {
            for (long r = r0; r < r1; r++) {
                long bRow = sameRows ? r : 0;
                if (fullRows) {
                    Lanes.binary(add, x, r * n, y, bRow * n, dst, r * n, n);
                } else {
                    Lanes.binaryScalar(add, x, r * n, F32.get(y, bRow), dst, r * n, n);
                }
            }
        });
    }

    @Override
    public void scale(HostTensor x, float factor, HostTensor out) {
        MemorySegment src = x.data();
        MemorySegment dst = out.data();
        forElements(x.elementCount(), (from, count) -> Lanes.scale(src, from, factor, dst, from, count));
    }

    @Override
    public void rmsNorm(HostTensor x, HostTensor weight, float eps, HostTensor out) {
        MemorySegment src = x.data();
        MemorySegment dst = out.data();
        MemorySegment gain = weight == null ? null : weight.data();
        int n = (int) x.dim(0);
        forRows(x.rows(), n, (r0, r1) -> {
            for (long r = r0; r < r1; r++) {
                long base = r * n;
                // The sum of squares in double, in element order: the same scale as the reference.
                double sumOfSquares = 0;
                for (int i = 0; i < n; i++) {
                    float v = F32.get(src, base + i);
                    sumOfSquares += v * v;
                }
                float scale = Ggml.rmsScale(sumOfSquares, n, eps);
                if (gain == null) {
                    Lanes.scale(src, base, scale, dst, base, n);
                } else {
                    Lanes.scaleThenMul(src, base, scale, gain, dst, base, n);
                }
            }
        });
    }

    @Override
    public void rope(HostTensor x, int position0, int column, RopeParams params, float[] freqFactors, HostTensor out) {
        long tokens = x.dim(2);
        long perToken = x.dim(0) * x.dim(1);
        int tokensPerChunk = perChunk((int) tokens, (int) Math.max(1, PARALLEL_ELEMENTS / perToken));
        pool.run(chunks((int) tokens, (int) Math.max(1, PARALLEL_ELEMENTS / perToken)), (c, p) -> {
            long first = (long) c * tokensPerChunk;
            Rope.apply(x, position0, column, params, freqFactors, out, first, Math.min(tokens, first + tokensPerChunk));
        });
    }

    @Override
    public void softmax(HostTensor x, float scale, HostTensor out, Workspace workspace) {
        MemorySegment src = x.data();
        MemorySegment dst = out.data();
        int n = (int) x.dim(0);
        long rows = x.rows();
        int rowsPerChunk = perChunk((int) rows, Math.max(1, PARALLEL_ELEMENTS / n));
        pool.run(chunks((int) rows, Math.max(1, PARALLEL_ELEMENTS / n)), (c, p) -> {
            float[] row = workspace.floats(p, 0, n);
            for (long r = (long) c * rowsPerChunk, end = Math.min(rows, r + rowsPerChunk); r < end; r++) {
                F32.read(src, r * n, row, 0, n);
                Lanes.softmax(row, n, scale);
                F32.write(row, 0, dst, r * n, n);
            }
        });
    }

    @Override
    public void sigmoid(HostTensor x, HostTensor out) {
        MemorySegment src = x.data();
        MemorySegment dst = out.data();
        forElements(x.elementCount(), (from, count) -> Lanes.sigmoid(src, dst, from, count));
    }

    @Override
    public void siluMul(HostTensor gate, HostTensor up, HostTensor out) {
        MemorySegment g = gate.data();
        MemorySegment u = up.data();
        MemorySegment dst = out.data();
        forElements(gate.elementCount(), (from, count) -> Lanes.siluMul(g, u, dst, from, count));
    }

    @Override
    public void attention(HostTensor q, HostTensor k, HostTensor v, int valueLength, float scale, int position0,
            HostTensor out, Workspace workspace) {
        Attention attention = new Attention(q, k, v, valueLength, scale, position0, out);
        QuantKernel kernel = QuantKernel.vector(k.type());
        if (widensExactly(k.type()) && v.type() == k.type()
                && (long) attention.positions() * k.dim(1) * (attention.keyLength() + valueLength) <= widenedCacheFloats) {
            attentionOnWidenedCache(attention, kernel, (int) k.dim(1), valueLength, scale, workspace);
            return;
        }
        int heads = attention.heads();
        int pairs = heads * attention.tokens();
        int keyLength = attention.keyLength();
        long keyRowBytes = k.type().rowBytes(keyLength);
        long valueRowBytes = k.type().rowBytes(attention.valueRowLength());
        pool.run(pairs, (pair, p) -> {
            int h = pair % heads;
            int t = pair / heads;
            int hk = attention.kvHead(h);
            int visible = attention.visible(t);
            MemorySegment query = workspace.bytes(p, (int) keyRowBytes);
            float[] scores = workspace.floats(p, 1, attention.positions());
            float[] valueRow = workspace.floats(p, 2, valueLength);
            float[] sums = workspace.floats(p, 3, valueLength);
            attention.loadQuery(kernel, h, t, query);
            MemorySegment keys = attention.k();
            for (int j = 0; j < visible; j++) {
                scores[j] = kernel.dot(keys, attention.cacheRowOffset(hk, j, keyRowBytes), query, 0, keyLength) * scale;
            }
            Lanes.softmax(scores, visible, 1.0f);
            attention.roundProbabilities(scores, visible);
            Arrays.fill(sums, 0, valueLength, 0f);
            MemorySegment values = attention.v();
            for (int j = 0; j < visible; j++) {
                kernel.dequantize(values, attention.cacheRowOffset(hk, j, valueRowBytes), valueRow, 0, valueLength);
                Lanes.accumulate(sums, scores[j], valueRow, valueLength);
            }
            F32.write(sums, 0, attention.out(), attention.outRow(h, t), valueLength);
        });
    }

    /** Cache types whose dot product is the F32 dot of the widened values, bit for bit. */
    private static boolean widensExactly(TensorType type) {
        return type == TensorType.F32 || type == TensorType.F16 || type == TensorType.BF16;
    }

    /**
     * {@link #attention} with the visible cache widened to floats once per call, each key and
     * value row once for all the query heads that share it (GQA) and all the batch's tokens,
     * instead of once per (head, token). Same arithmetic: widening is exact, and the float dot
     * adds in the order of the cache type's vector dot.
     */
    private void attentionOnWidenedCache(Attention attention, QuantKernel kernel, int kvHeads, int valueLength,
            float scale, Workspace workspace) {
        int heads = attention.heads();
        int keyLength = attention.keyLength();
        int positions = attention.positions();
        long keyRowBytes = kernel.type().rowBytes(keyLength);
        long valueRowBytes = kernel.type().rowBytes(attention.valueRowLength());
        int cacheRows = positions * kvHeads;
        float[] keys = workspace.sharedFloats(0, cacheRows * keyLength);
        float[] values = workspace.sharedFloats(1, cacheRows * valueLength);
        MemorySegment k = attention.k();
        MemorySegment v = attention.v();
        int rowsPerChunk = perChunk(cacheRows, 16);
        // rows lie back to back, so a chunk widens in one call (a call per row cost more than the
        // widening); values only when a cache row holds nothing but the value
        boolean valuesBackToBack = attention.valueRowLength() == valueLength;
        pool.run(Math.ceilDiv(cacheRows, rowsPerChunk), (c, p) -> {
            int first = c * rowsPerChunk;
            int rows = Math.min(cacheRows - first, rowsPerChunk);
            kernel.dequantize(k, first * keyRowBytes, keys, first * keyLength, rows * keyLength);
            if (valuesBackToBack) {
                kernel.dequantize(v, first * valueRowBytes, values, first * valueLength, rows * valueLength);
                return;
            }
            for (int r = first; r < first + rows; r++) {
                kernel.dequantize(v, r * valueRowBytes, values, r * valueLength, valueLength);
            }
        });
        pool.run(heads * attention.tokens(), (pair, p) -> {
            int h = pair % heads;
            int t = pair / heads;
            int hk = attention.kvHead(h);
            int visible = attention.visible(t);
            MemorySegment queryBytes = workspace.bytes(p, (int) keyRowBytes);
            float[] query = workspace.floats(p, 0, keyLength);
            float[] scores = workspace.floats(p, 1, positions);
            float[] sums = workspace.floats(p, 3, valueLength);
            attention.loadQuery(kernel, h, t, queryBytes);
            kernel.dequantize(queryBytes, 0, query, 0, keyLength);
            for (int j = 0; j < visible; j++) {
                scores[j] = F32Kernel.dot(keys, (j * kvHeads + hk) * keyLength, query, 0, keyLength) * scale;
            }
            Lanes.softmax(scores, visible, 1.0f);
            attention.roundProbabilities(scores, visible);
            Arrays.fill(sums, 0, valueLength, 0f);
            for (int j = 0; j < visible; j++) {
                Lanes.accumulate(sums, scores[j], values, (j * kvHeads + hk) * valueLength, valueLength);
            }
            F32.write(sums, 0, attention.out(), attention.outRow(h, t), valueLength);
        });
    }

    @Override
    public void moeRoute(HostTensor logits, HostTensor bias, MoeRouting routing, HostTensor ids, HostTensor weights,
            Workspace workspace) {
        new MoeRouter(routing, logits, bias).route(ids, weights, workspace);
    }

    @Override
    public void moeCombine(HostTensor expertOut, HostTensor weights, HostTensor out) {
        int n = (int) expertOut.dim(0);
        int used = (int) expertOut.dim(1);
        MemorySegment experts = expertOut.data();
        MemorySegment w = weights.data();
        MemorySegment dst = out.data();
        forRows(expertOut.dim(2), n * used, (t0, t1) -> {
            for (long t = t0; t < t1; t++) {
                // Products rounded, then added in expert order: the reference's sum, bit for bit.
                Lanes.binaryScalar(false, experts, t * used * n, F32.get(w, t * used), dst, t * n, n);
                for (int e = 1; e < used; e++) {
                    addProduct(experts, (t * used + e) * n, F32.get(w, t * used + e), dst, t * n, n);
                }
            }
        });
    }

    private static void addProduct(MemorySegment src, long s, float factor, MemorySegment dst, long d, int n) {
        int i = 0;
        for (int upper = Lanes.F.loopBound(n); i < upper; i += Lanes.F.length()) {
            Lanes.store(Lanes.load(dst, d + i).add(Lanes.load(src, s + i).mul(factor)), dst, d + i);
        }
        for (; i < n; i++) {
            F32.set(dst, d + i, F32.get(dst, d + i) + F32.get(src, s + i) * factor);
        }
    }

    @Override
    public void argmax(HostTensor x, HostTensor out) {
        Elementwise.argmax(x, out, 0, x.rows());
    }

    @Override
    public void copy(HostTensor src, long srcColumn, long columns, HostTensor dst, long dstColumn) {
        Copies.copy(src, srcColumn, columns, dst, dstColumn, 0, src.rows());
    }

    @Override
    public void concat(HostTensor a, HostTensor b, HostTensor out) {
        Copies.concat(a, b, out, 0, out.rows());
    }

    @Override
    public void close() {
        pool.close();
    }

    // ---- splitting work -----------------------------------------------------------------

    @FunctionalInterface
    private interface RowRange {
        void run(long firstRow, long endRow);
    }

    @FunctionalInterface
    private interface ElementRange {
        void run(long first, int count);
    }

    /** Runs whole rows of {@code rowLength} elements, in chunks of enough elements to share out. */
    private void forRows(long rows, int rowLength, RowRange body) {
        int minimum = Math.max(1, PARALLEL_ELEMENTS / Math.max(1, rowLength));
        int total = Math.toIntExact(rows);
        int per = perChunk(total, minimum);
        pool.run(chunks(total, minimum), (c, p) -> {
            long first = (long) c * per;
            body.run(first, Math.min(rows, first + per));
        });
    }

    /** Runs an element-wise op in chunks of whole vectors. */
    private void forElements(long count, ElementRange body) {
        long per = Math.max(PARALLEL_ELEMENTS, Math.ceilDiv(count, pool.threads() * 4L));
        per = Math.ceilDiv(per, Lanes.F.length()) * Lanes.F.length();
        long step = per;
        int chunks = Math.toIntExact(Math.ceilDiv(count, step));
        pool.run(chunks, (c, p) -> {
            long first = c * step;
            body.run(first, (int) Math.min(step, count - first));
        });
    }

    /** Items per chunk: about four chunks per thread, at least {@code minimum} items each. */
    private int perChunk(int items, int minimum) {
        return Math.max(minimum, Math.ceilDiv(items, pool.threads() * 4));
    }

    /** A matmul's weight rows in chunks ({@link RowChunks}), multiples of {@code multiple} rows. */
    private RowChunks matmulChunks(int rows, int multiple) {
        return RowChunks.guided(rows, pool.threads(), multiple, MIN_ROWS_PER_CHUNK);
    }

    private int chunks(int items, int minimum) {
        return Math.ceilDiv(items, perChunk(items, minimum));
    }
}
