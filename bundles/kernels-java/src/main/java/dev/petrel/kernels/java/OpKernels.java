package dev.petrel.kernels.java;

import dev.petrel.api.kernel.MoeRouting;
import dev.petrel.api.kernel.RopeParams;
import dev.petrel.api.weights.TensorType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The arithmetic of each op on operands the stream has already checked (types, dims,
 * backend). One implementation per backend: the scalar reference and the Vector API one.
 * Shapes are those of {@link dev.petrel.api.kernel.ComputeStream}.
 */
public interface OpKernels extends AutoCloseable {

    /** Threads that may run one op together (the size a workspace provides for). */
    int participants();

    /** Whether MATMUL and GET_ROWS can read weights of this type. */
    boolean readsWeights(TensorType type);

    /**
     * A copy of an uploaded weight's rows in a layout of these kernels' own, allocated in
     * {@code arena} (freed with the weight), or null for none: the default. MATMUL then reads
     * it through {@link HostTensor#packedRows()}; the original bytes stay for everything else.
     */
    default MemorySegment repackWeights(TensorType type, long[] dims, MemorySegment data, Arena arena) {
        return null;
    }

    /** {@code out[:, t] = dequantize(table[:, ids[t]])}; ids already range-checked. */
    void getRows(HostTensor table, int[] ids, HostTensor out, Workspace workspace);

    /**
     * The matmul every MATMUL variant reduces to: for each {@code i}, row {@code outRows[i]}
     * of {@code out} gets {@code W x}, with {@code W} the {@code outLength} weight rows from
     * {@code firstWeightRow} and {@code x} row {@code xRows[i]}.
     */
    void matmul(HostTensor w, long firstWeightRow, int outLength, HostTensor x, int[] xRows, HostTensor out,
            int[] outRows, Workspace workspace);

    /**
     * {@link #matmul} for MATMUL_EXPERTS: the same products, with each dot summed in the order
     * of ggml's plain {@code vec_dot} ({@link dev.petrel.quant.kernel.QuantKernel#dotInVecDotOrder}),
     * the kernel llama.cpp's CPU backend runs for {@code MUL_MAT_ID}. Routing depends on the
     * last ulp of the experts' outputs through later 8-bit roundings, so this order is what
     * keeps a MoE model choosing llama.cpp's experts.
     */
    void matmulExperts(HostTensor w, long firstWeightRow, int outLength, HostTensor x, int[] xRows, HostTensor out,
            int[] outRows, Workspace workspace);

    void add(HostTensor a, HostTensor b, HostTensor out);

    void mul(HostTensor a, HostTensor b, HostTensor out);

    void scale(HostTensor x, float factor, HostTensor out);

    /** @param weight {@code {n}} or null */
    void rmsNorm(HostTensor x, HostTensor weight, float eps, HostTensor out);

    /** @param freqFactors one divisor per rotated pair, or null */
    void rope(HostTensor x, int position0, int column, RopeParams params, float[] freqFactors, HostTensor out);

    void softmax(HostTensor x, float scale, HostTensor out, Workspace workspace);

    void sigmoid(HostTensor x, HostTensor out);

    void siluMul(HostTensor gate, HostTensor up, HostTensor out);

    void attention(HostTensor q, HostTensor k, HostTensor v, int valueLength, float scale, int position0,
            HostTensor out, Workspace workspace);

    /** @param bias {@code {E}} or null */
    void moeRoute(HostTensor logits, HostTensor bias, MoeRouting routing, HostTensor ids, HostTensor weights,
            Workspace workspace);

    void moeCombine(HostTensor expertOut, HostTensor weights, HostTensor out);

    void argmax(HostTensor x, HostTensor out);

    void copy(HostTensor src, long srcColumn, long columns, HostTensor dst, long dstColumn);

    void concat(HostTensor a, HostTensor b, HostTensor out);

    /** Stops any threads the kernels run on. */
    @Override
    void close();
}
