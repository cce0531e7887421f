package dev.petrel.kernels.java.scalar;

import dev.petrel.api.weights.TensorType;
import dev.petrel.kernels.java.HostTensor;
import dev.petrel.kernels.java.numerics.F32;
import dev.petrel.quant.kernel.QuantKernel;
import java.lang.foreign.MemorySegment;

/**
 * The shapes of one ATTENTION op and the reference computation of one (head, token) row,
 * as llama.cpp computes attention without flash attention:
 * <ol>
 *   <li>the query is rounded to the cache type (ggml's matmul rounds its activation to the
 *       dot type of F16/BF16 keys);</li>
 *   <li>{@code s_j = scale * (q . k_j)} for every position {@code j <= position0 + t};</li>
 *   <li>softmax as {@link Softmax} computes it;</li>
 *   <li>the probabilities are rounded to the cache type (they are the activation of the
 *       second matmul), then {@code out = sum_j p_j v_j}.</li>
 * </ol>
 * Query head {@code h} reads key/value head {@code h / (H / Hkv)} (GQA).
 */
public final class Attention {

    private final MemorySegment q;
    private final MemorySegment k;
    private final MemorySegment v;
    private final MemorySegment out;
    private final TensorType cacheType;
    private final int keyLength;
    private final int heads;
    private final int tokens;
    private final int kvHeads;
    private final int valueRowLength;
    private final int valueLength;
    private final float scale;
    private final int position0;

    public Attention(HostTensor q, HostTensor k, HostTensor v, int valueLength, float scale, int position0,
            HostTensor out) {
        this.q = q.data();
        this.k = k.data();
        this.v = v.data();
        this.out = out.data();
        this.cacheType = k.type();
        this.keyLength = (int) q.dim(0);
        this.heads = (int) q.dim(1);
        this.tokens = (int) q.dim(2);
        this.kvHeads = (int) k.dim(1);
        this.valueRowLength = (int) v.dim(0);
        this.valueLength = valueLength;
        this.scale = scale;
        this.position0 = position0;
    }

    public int keyLength() {
        return keyLength;
    }

    public int heads() {
        return heads;
    }

    public int tokens() {
        return tokens;
    }

    /** Positions the last token of the batch attends. */
    public int positions() {
        return position0 + tokens;
    }

    public MemorySegment k() {
        return k;
    }

    public MemorySegment v() {
        return v;
    }

    public MemorySegment out() {
        return out;
    }

    public int valueRowLength() {
        return valueRowLength;
    }

    /** Positions token {@code t} attends: {@code [0, position0 + t]}. */
    public int visible(int t) {
        return position0 + t + 1;
    }

    public int kvHead(int h) {
        return h / (heads / kvHeads);
    }

    public long queryRow(int h, int t) {
        return ((long) t * heads + h) * keyLength;
    }

    public long outRow(int h, int t) {
        return ((long) t * heads + h) * valueLength;
    }

    /** Byte offset of row {@code (head, position)} in a cache of {@code rowBytes} per row. */
    public long cacheRowOffset(int kvHead, int position, long rowBytes) {
        return ((long) position * kvHeads + kvHead) * rowBytes;
    }

    /** Writes query {@code (h, t)} into {@code dst} in the cache's dot type (rounded as ggml rounds it). */
    public void loadQuery(QuantKernel kernel, int h, int t, MemorySegment dst) {
        kernel.quantizeActivations(q, queryRow(h, t) * Float.BYTES, dst, 0, keyLength);
    }

    /** Turns scores {@code [0, n)} into probabilities rounded to the cache type. */
    public void roundProbabilities(float[] probabilities, int n) {
        for (int j = 0; j < n; j++) {
            probabilities[j] = Elements.roundTo(cacheType, probabilities[j]);
        }
    }

    void computeScalar(int h, int t, MemorySegment query, float[] scores, float[] valueRow, float[] sums) {
        QuantKernel kernel = QuantKernel.scalar(cacheType);
        int hk = kvHead(h);
        int n = visible(t);
        long keyRowBytes = cacheType.rowBytes(keyLength);
        long valueRowBytes = cacheType.rowBytes(valueRowLength);
        loadQuery(kernel, h, t, query);
        for (int j = 0; j < n; j++) {
            scores[j] = kernel.dot(k, cacheRowOffset(hk, j, keyRowBytes), query, 0, keyLength) * scale;
        }
        Softmax.scaledInPlace(scores, n, 1.0f);
        roundProbabilities(scores, n);
        java.util.Arrays.fill(sums, 0, valueLength, 0f);
        for (int j = 0; j < n; j++) {
            kernel.dequantize(v, cacheRowOffset(hk, j, valueRowBytes), valueRow, 0, valueLength);
            for (int e = 0; e < valueLength; e++) {
                sums[e] += scores[j] * valueRow[e];
            }
        }
        F32.write(sums, 0, out, outRow(h, t), valueLength);
    }
}
