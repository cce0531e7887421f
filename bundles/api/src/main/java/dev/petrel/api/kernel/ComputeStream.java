package dev.petrel.api.kernel;

import dev.petrel.api.weights.TensorType;
import java.lang.foreign.MemorySegment;
import org.osgi.annotation.versioning.ProviderType;

/**
 * An ordered queue of operations on one backend, used by one thread at a time (one per
 * session). Ops run in the order they are enqueued; a backend may run each one before the
 * method returns (Java) or asynchronously (CUDA). {@link #read} and {@link #sync()} wait for
 * everything enqueued before them.
 *
 * <p>Every tensor passed must belong to this stream's backend. Ops check types and shapes
 * when enqueued and throw {@link IllegalArgumentException} naming the op, the operand and the
 * dimension that is wrong; an op or type the backend does not
 * {@linkplain KernelBackend#supports support} throws {@link UnsupportedOperationException}.
 * Outputs are F32 unless stated. An output may be the same tensor as the input of
 * element-wise ops, SCALE, RMS_NORM and ROPE; otherwise outputs do not overlap inputs.
 *
 * <p>Shapes below use: {@code T} tokens of the batch, {@code H} query heads, {@code Hkv}
 * key/value heads, {@code E} experts, {@code K} experts used per token.
 */
@ProviderType
public interface ComputeStream extends AutoCloseable {

    KernelBackend backend();

    /**
     * A temporary compute tensor from the stream's scratch memory, content undefined, valid
     * until {@link #resetScratch()} or {@link #close()}. A forward pass takes its temporaries
     * here once per step and reuses them across layers.
     */
    Tensor scratch(String name, TensorType type, long... dims);

    /** Waits for the enqueued ops, then recycles all scratch tensors at once. */
    void resetScratch();

    /**
     * Copies host bytes into {@code dst} (its whole data, little-endian, laid out as the
     * tensor). The bytes are taken before the method returns: the caller may reuse
     * {@code src}.
     */
    void write(MemorySegment src, Tensor dst);

    /** Copies {@code src}'s data to host memory, after everything enqueued before it. */
    void read(Tensor src, MemorySegment dst);

    /** Waits until every enqueued op has completed. */
    void sync();

    /** Syncs, frees the scratch memory and ends the stream. Closing again does nothing. */
    @Override
    void close();

    // ---- ops -------------------------------------------------------------------------

    /**
     * {@link Op#GET_ROWS}: {@code out[:, t] = dequantize(table[:, ids[t]])}.
     *
     * @param table {@code {n, rows}}, any supported type (the token embedding)
     * @param ids I32 {@code {T}}
     * @param out {@code {n, T}}
     */
    void getRows(Tensor table, Tensor ids, Tensor out);

    /**
     * {@link Op#MATMUL}: {@code out[:, r] = W x[:, r]} for every row {@code r} of {@code x}.
     * For a weight of a quantized or half type the backend first quantizes each activation
     * row to the weight format's {@link dev.petrel.api.quant.QuantFormat#dotType() dot type},
     * as ggml does; FP8 weights apply their block scales inside the dot product.
     *
     * @param w {@code {n_in, n_out}}, any supported type
     * @param x {@code {n_in, T}} (or any dims with {@code n_in} first; rows are flattened)
     * @param out {@code {n_out, T}} (rows as in {@code x})
     */
    void matmul(Tensor w, Tensor x, Tensor out);

    /**
     * {@link Op#MATMUL_HEADS}: {@code out[:, h, t] = W_h x[:, h, t]}, one matrix per head
     * (MLA's absorbed {@code attn_k_b} and {@code attn_v_b}).
     *
     * @param w {@code {n_in, n_out, H}}
     * @param x {@code {n_in, H, T}}
     * @param out {@code {n_out, H, T}}
     */
    void matmulHeads(Tensor w, Tensor x, Tensor out);

    /**
     * {@link Op#MATMUL_EXPERTS}: {@code out[:, k, t] = W_ids[k, t] x[:, k', t]} with
     * {@code k' = k}, or {@code k' = 0} when {@code x} has one row per token. Only the chosen
     * experts' weights are read.
     *
     * @param w {@code {n_in, n_out, E}}
     * @param x {@code {n_in, 1, T}} or {@code {n_in, K, T}}
     * @param ids I32 {@code {K, T}}, each in {@code [0, E)}
     * @param out {@code {n_out, K, T}}
     */
    void matmulExperts(Tensor w, Tensor x, Tensor ids, Tensor out);

    /**
     * {@link Op#ADD}: {@code out = a + b}; each dimension of {@code b} equals {@code a}'s or is
     * 1 (broadcast: a bias {@code {n}} over {@code {n, T}}).
     */
    void add(Tensor a, Tensor b, Tensor out);

    /**
     * {@link Op#MUL}: {@code out = a * b} with the broadcast of {@link #add}: a norm weight
     * {@code {n}} over {@code {n, T}}, a per-token gate {@code {1, T}} over {@code {n, T}}.
     */
    void mul(Tensor a, Tensor b, Tensor out);

    /** {@link Op#SCALE}: {@code out = x * factor}; same dims. */
    void scale(Tensor x, float factor, Tensor out);

    /**
     * {@link Op#RMS_NORM}: each row {@code r} of {@code x} becomes
     * {@code r / sqrt(mean(r^2) + eps) * weight}.
     *
     * @param x {@code {n, ...}}
     * @param weight {@code {n}}, or null for none
     * @param out same dims as {@code x}
     */
    void rmsNorm(Tensor x, Tensor weight, float eps, Tensor out);

    /**
     * {@link Op#ROPE}: rotates elements {@code [column, column + params.dimensions())} of every
     * head row of every token; token {@code t} is at position {@code position0 + t}.
     *
     * @param x {@code {d, heads, T}}
     * @param position0 position of the batch's first token
     * @param column first rotated element of a head row (0; MLA: {@code qk_nope_head_dim} for
     *        queries, {@code kv_lora_rank} for the compressed key)
     * @param freqFactors F32 {@code {params.dimensions() / 2}} dividing each pair's frequency
     *        (Llama 3 rope scaling, {@code rope_freqs.weight}), or null
     * @param out same dims as {@code x}
     */
    void rope(Tensor x, int position0, int column, RopeParams params, Tensor freqFactors, Tensor out);

    /** {@link Op#SOFTMAX}: softmax of each row of {@code x * scale}; same dims. */
    void softmax(Tensor x, float scale, Tensor out);

    /** {@link Op#SIGMOID}: {@code out = 1 / (1 + exp(-x))}; same dims. */
    void sigmoid(Tensor x, Tensor out);

    /** {@link Op#SILU_MUL}: {@code out = gate * sigmoid(gate) * up}; all three the same dims. */
    void siluMul(Tensor gate, Tensor up, Tensor out);

    /**
     * {@link Op#ATTENTION}: causal scaled-dot-product attention of a query batch over the
     * first {@code position0 + T} positions of a key/value cache. Query {@code t} (at
     * position {@code position0 + t}) of head {@code h} attends positions
     * {@code j <= position0 + t} of key/value head {@code h / (H / Hkv)}:
     * {@code out[:, h, t] = sum_j softmax_j(scale * q[:, h, t] . k[:, hkv, j]) *
     * v[0 : valueLength, hkv, j]}. Softmax is computed in F32.
     *
     * <p>Value rows may be longer than {@code valueLength}: MLA's absorbed path passes its
     * latent cache as both {@code k} ({@code {kv_lora_rank + rope_dim, 1, ctx}}) and {@code v}
     * (its first {@code kv_lora_rank} elements).
     *
     * @param q {@code {dk, H, T}}
     * @param k {@code {dk, Hkv, P}} with {@code P >= position0 + T}, F32, F16 or BF16
     * @param v {@code {dv', Hkv, P}} with {@code dv' >= valueLength}, same type as {@code k}
     * @param scale applied to the logits, usually {@code 1 / sqrt(dk)} (times YaRN's mscale²)
     * @param out {@code {valueLength, H, T}}
     */
    void attention(Tensor q, Tensor k, Tensor v, int valueLength, float scale, int position0, Tensor out);

    /**
     * {@link Op#MOE_ROUTE}: chooses experts and weights per token as {@link MoeRouting}
     * describes.
     *
     * @param logits router output {@code {E, T}}
     * @param bias score-correction bias {@code {E}} (selection only), or null
     * @param ids out: I32 {@code {K, T}}, {@code K = routing.used()}
     * @param weights out: {@code {K, T}}
     */
    void moeRoute(Tensor logits, Tensor bias, MoeRouting routing, Tensor ids, Tensor weights);

    /**
     * {@link Op#MOE_COMBINE}: {@code out[:, t] = sum_k weights[k, t] * expertOut[:, k, t]}.
     *
     * @param expertOut {@code {n, K, T}}
     * @param weights {@code {K, T}}
     * @param out {@code {n, T}}
     */
    void moeCombine(Tensor expertOut, Tensor weights, Tensor out);

    /**
     * {@link Op#ARGMAX}: index of the largest element of each row, the lowest on ties.
     *
     * @param x {@code {n, rows...}}
     * @param out I32 {@code {rows}}
     */
    void argmax(Tensor x, Tensor out);

    /**
     * {@link Op#COPY}: for every row {@code r}, elements {@code [srcColumn, srcColumn +
     * columns)} of {@code src}'s row {@code r} go to {@code [dstColumn, dstColumn + columns)}
     * of {@code dst}'s row {@code r}. Both have the same number of rows. Converts between
     * F32, F16 and BF16 (round to nearest even); other types copy whole blocks unchanged. A
     * KV-cache write is a copy into {@code cache.slice(position0, T)}.
     */
    void copy(Tensor src, long srcColumn, long columns, Tensor dst, long dstColumn);

    /** Copies all of {@code src} into {@code dst} (same row count and row length). */
    default void copy(Tensor src, Tensor dst) {
        copy(src, 0, src.dim(0), dst, 0);
    }

    /**
     * {@link Op#CONCAT}: joins rows, {@code out[:, h, t] = a[:, h, t] ++ b[:, h or 0, t]}
     * (naive MLA: the per-head key part joined with the rope key shared by all heads).
     *
     * @param a {@code {na, H, T}}
     * @param b {@code {nb, H, T}} or {@code {nb, 1, T}}
     * @param out {@code {na + nb, H, T}}
     */
    void concat(Tensor a, Tensor b, Tensor out);

    // ---- host conveniences --------------------------------------------------------------

    /** Writes ids (token ids, positions) into an I32 tensor of as many elements. */
    default void write(int[] values, Tensor dst) {
        write(MemorySegment.ofArray(values), dst);
    }

    /** Reads an F32 tensor (logits {@code {vocab, T}}) into a new array, contiguous first. */
    default float[] readFloats(Tensor src) {
        float[] values = new float[Math.toIntExact(src.elementCount())];
        read(src, MemorySegment.ofArray(values));
        return values;
    }

    /** Reads an I32 tensor (ARGMAX, MOE_ROUTE ids) into a new array. */
    default int[] readInts(Tensor src) {
        int[] values = new int[Math.toIntExact(src.elementCount())];
        read(src, MemorySegment.ofArray(values));
        return values;
    }
}
