package dev.petrel.kernels.java.scalar;

import dev.petrel.api.kernel.MoeRouting;
import dev.petrel.api.kernel.RopeParams;
import dev.petrel.api.weights.TensorType;
import dev.petrel.kernels.java.HostTensor;
import dev.petrel.kernels.java.OpKernels;
import dev.petrel.kernels.java.Workspace;
import dev.petrel.kernels.java.numerics.F32;
import dev.petrel.kernels.java.numerics.Ggml;
import dev.petrel.api.quant.BlockScales;
import dev.petrel.quant.kernel.F8E4M3Kernel;
import dev.petrel.quant.kernel.QuantKernel;
import java.lang.foreign.MemorySegment;

/**
 * The reference: every op as a plain loop over elements in the order the definition reads,
 * on one thread. A matmul goes through the quant bundle's scalar reference kernels: the
 * activation row converted to the weight's dot type, then one reference dot product per
 * output. Other backends are checked against this one.
 */
public final class ScalarKernels implements OpKernels {

    @Override
    public int participants() {
        return 1;
    }

    @Override
    public boolean readsWeights(TensorType type) {
        return QuantKernel.supports(type);
    }

    @Override
    public void getRows(HostTensor table, int[] ids, HostTensor out, Workspace workspace) {
        int n = (int) table.dim(0);
        float[] row = workspace.floats(0, 0, n);
        MemorySegment dst = out.data();
        for (int t = 0; t < ids.length; t++) {
            Rows.dequantize(table, ids[t], row);
            F32.write(row, 0, dst, (long) t * n, n);
        }
    }

    @Override
    public void matmul(HostTensor w, long firstWeightRow, int outLength, HostTensor x, int[] xRows, HostTensor out,
            int[] outRows, Workspace workspace) {
        QuantKernel kernel = QuantKernel.scalar(w.type());
        int n = (int) w.dim(0);
        long weightRowBytes = w.rowBytes();
        MemorySegment weights = w.data();
        MemorySegment input = x.data();
        MemorySegment output = out.data();
        MemorySegment activation = workspace.shared(Workspace.QUANTIZED_ACTIVATIONS, kernel.activationBytes(n));
        BlockScales scales = w.scales().orElse(null);
        // rows of a view are counted from the weight's first row, where its scales start
        long scaleRow = w.firstPackedRow() + firstWeightRow;
        for (int i = 0; i < xRows.length; i++) {
            kernel.quantizeActivations(input, (long) xRows[i] * n * Float.BYTES, activation, 0, n);
            for (int o = 0; o < outLength; o++) {
                long wOffset = (firstWeightRow + o) * weightRowBytes;
                float dot = scales == null
                        ? kernel.dot(weights, wOffset, activation, 0, n)
                        : ((F8E4M3Kernel) kernel).dotScaled(weights, wOffset, activation, 0, n, scales, scaleRow + o);
                F32.set(output, outRows[i] * out.dim(0) + o, dot);
            }
        }
    }

    @Override
    public void matmulExperts(HostTensor w, long firstWeightRow, int outLength, HostTensor x, int[] xRows,
            HostTensor out, int[] outRows, Workspace workspace) {
        if (w.scales().isPresent()) {
            // block-scaled experts (FP8): the dot of matmul applies each expert's scales
            matmul(w, firstWeightRow, outLength, x, xRows, out, outRows, workspace);
            return;
        }
        QuantKernel kernel = QuantKernel.scalar(w.type());
        int n = (int) w.dim(0);
        long weightRowBytes = w.rowBytes();
        MemorySegment weights = w.data();
        MemorySegment input = x.data();
        MemorySegment output = out.data();
        MemorySegment activation = workspace.shared(Workspace.QUANTIZED_ACTIVATIONS, kernel.activationBytes(n));
        for (int i = 0; i < xRows.length; i++) {
            kernel.quantizeActivations(input, (long) xRows[i] * n * Float.BYTES, activation, 0, n);
            for (int o = 0; o < outLength; o++) {
                float dot = kernel.dotInVecDotOrder(weights, (firstWeightRow + o) * weightRowBytes, activation, 0, n);
                F32.set(output, outRows[i] * out.dim(0) + o, dot);
            }
        }
    }

    @Override
    public void add(HostTensor a, HostTensor b, HostTensor out) {
        Broadcast.apply(a, b, out, Float::sum);
    }

    @Override
    public void mul(HostTensor a, HostTensor b, HostTensor out) {
        Broadcast.apply(a, b, out, (p, q) -> p * q);
    }

    @Override
    public void scale(HostTensor x, float factor, HostTensor out) {
        MemorySegment src = x.data();
        MemorySegment dst = out.data();
        for (long i = 0, n = x.elementCount(); i < n; i++) {
            F32.set(dst, i, F32.get(src, i) * factor);
        }
    }

    @Override
    public void rmsNorm(HostTensor x, HostTensor weight, float eps, HostTensor out) {
        int n = (int) x.dim(0);
        MemorySegment src = x.data();
        MemorySegment dst = out.data();
        MemorySegment gain = weight == null ? null : weight.data();
        for (long r = 0, rows = x.rows(); r < rows; r++) {
            long base = r * n;
            double sumOfSquares = 0;
            for (int i = 0; i < n; i++) {
                float v = F32.get(src, base + i);
                sumOfSquares += v * v;
            }
            float scale = Ggml.rmsScale(sumOfSquares, n, eps);
            for (int i = 0; i < n; i++) {
                float normalized = F32.get(src, base + i) * scale;
                F32.set(dst, base + i, gain == null ? normalized : normalized * F32.get(gain, i));
            }
        }
    }

    @Override
    public void rope(HostTensor x, int position0, int column, RopeParams params, float[] freqFactors, HostTensor out) {
        Rope.apply(x, position0, column, params, freqFactors, out, 0, x.dim(2));
    }

    @Override
    public void softmax(HostTensor x, float scale, HostTensor out, Workspace workspace) {
        int n = (int) x.dim(0);
        float[] row = workspace.floats(0, 0, n);
        MemorySegment src = x.data();
        MemorySegment dst = out.data();
        for (long r = 0, rows = x.rows(); r < rows; r++) {
            F32.read(src, r * n, row, 0, n);
            Softmax.scaledInPlace(row, n, scale);
            F32.write(row, 0, dst, r * n, n);
        }
    }

    @Override
    public void sigmoid(HostTensor x, HostTensor out) {
        MemorySegment src = x.data();
        MemorySegment dst = out.data();
        for (long i = 0, n = x.elementCount(); i < n; i++) {
            F32.set(dst, i, Ggml.sigmoid(F32.get(src, i)));
        }
    }

    @Override
    public void siluMul(HostTensor gate, HostTensor up, HostTensor out) {
        MemorySegment g = gate.data();
        MemorySegment u = up.data();
        MemorySegment dst = out.data();
        for (long i = 0, n = gate.elementCount(); i < n; i++) {
            F32.set(dst, i, Ggml.silu(F32.get(g, i)) * F32.get(u, i));
        }
    }

    @Override
    public void attention(HostTensor q, HostTensor k, HostTensor v, int valueLength, float scale, int position0,
            HostTensor out, Workspace workspace) {
        Attention attention = new Attention(q, k, v, valueLength, scale, position0, out);
        MemorySegment query = workspace.bytes(0, (int) k.type().rowBytes(attention.keyLength()));
        float[] scores = workspace.floats(0, 1, attention.positions());
        float[] valueRow = workspace.floats(0, 2, valueLength);
        float[] sums = workspace.floats(0, 3, valueLength);
        for (int t = 0; t < attention.tokens(); t++) {
            for (int h = 0; h < attention.heads(); h++) {
                attention.computeScalar(h, t, query, scores, valueRow, sums);
            }
        }
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
        long tokens = expertOut.dim(2);
        MemorySegment experts = expertOut.data();
        MemorySegment w = weights.data();
        MemorySegment dst = out.data();
        for (long t = 0; t < tokens; t++) {
            for (int i = 0; i < n; i++) {
                float sum = 0f;
                for (int e = 0; e < used; e++) {
                    float product = F32.get(w, t * used + e) * F32.get(experts, (t * used + e) * n + i);
                    sum = e == 0 ? product : sum + product;
                }
                F32.set(dst, t * n + i, sum);
            }
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
        // Nothing runs in the background.
    }
}
