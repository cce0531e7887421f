package dev.petrel.engine.arch;

import dev.petrel.api.attention.AttentionStrategy;
import dev.petrel.api.attention.AttentionWeights;
import dev.petrel.api.attention.KvCache;
import dev.petrel.api.engine.ModelConfig;
import dev.petrel.api.experts.DenseWeights;
import dev.petrel.api.experts.Experts;
import dev.petrel.api.experts.FeedForward;
import dev.petrel.api.experts.MoeWeights;
import dev.petrel.api.kernel.ComputeStream;
import dev.petrel.api.kernel.KernelBackend;
import dev.petrel.api.kernel.Tensor;
import dev.petrel.api.weights.TensorType;
import java.util.Arrays;
import java.util.List;

/**
 * The pre-norm decoder stack every architecture here shares, placed on one backend:
 *
 * <pre>
 * x = token_embd[ids]                                   {n_embd, T}
 * for each block:
 *     x += attention(rms_norm(x) * attn_norm)           the architecture's strategy (GQA, MLA)
 *     h = rms_norm(x) * ffn_norm
 *     x += down(silu(gate h) * up h)                    dense block
 *       or experts(h)                                   MoE block: routed (+ shared) experts
 * logits = output · (rms_norm(x) * output_norm)         {n_vocab, T or 1}
 * </pre>
 *
 * An architecture differs in the weights it places and the attention it uses, not in this loop.
 */
record DecoderStack(ModelConfig config, AttentionStrategy attention, FeedForward feedForward, Experts experts,
        KernelBackend backend, Tensor tokenEmbd, List<Block> blocks, Tensor outputNorm, Tensor output) {

    /**
     * One transformer block's weights.
     *
     * @param ffn the dense network of a dense block, else null
     * @param moe the experts of a MoE block, else null
     */
    record Block(Tensor attnNorm, AttentionWeights attention, Tensor ffnNorm, DenseWeights ffn, MoeWeights moe) {
    }

    DecoderStack {
        blocks = List.copyOf(blocks);
    }

    void forward(ComputeStream stream, KvCache cache, int[] tokens, int position0, Tensor logits) {
        int count = tokens.length;
        checkBatch(cache, tokens, position0, logits);
        long n = config.embeddingLength();
        float eps = config.normEps();

        Tensor ids = stream.scratch("ids", TensorType.I32, count);   // {T}
        Tensor x = stream.scratch("x", TensorType.F32, n, count);    // the residual stream {n_embd, T}
        Tensor h = stream.scratch("h", TensorType.F32, n, count);    // a sub-layer's normalised input
        Tensor y = stream.scratch("y", TensorType.F32, n, count);    // a sub-layer's output
        stream.write(tokens, ids);
        stream.getRows(tokenEmbd, ids, x);

        for (int i = 0; i < blocks.size(); i++) {
            Block block = blocks.get(i);
            stream.rmsNorm(x, block.attnNorm(), eps, h);
            attention.forward(stream, config.attention(), block.attention(), cache.layer(i), h, position0, y);
            stream.add(x, y, x);

            stream.rmsNorm(x, block.ffnNorm(), eps, h);
            if (block.moe() != null) {
                experts.forward(stream, config.moe(), block.moe(), h, y);
            } else {
                feedForward.forward(stream, block.ffn(), h, y);
            }
            stream.add(x, y, x);
        }

        // Only the tokens whose logits are asked for go through the output layer.
        long wanted = logits.dim(1);
        Tensor last = x.slice(count - wanted, wanted);         // {n_embd, wanted}
        Tensor lastNormed = h.slice(count - wanted, wanted);   // {n_embd, wanted}
        stream.rmsNorm(last, outputNorm, eps, lastNormed);
        stream.matmul(output, lastNormed, logits);             // {n_vocab, wanted}
    }

    private void checkBatch(KvCache cache, int[] tokens, int position0, Tensor logits) {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("an empty batch");
        }
        for (int id : tokens) {
            if (id < 0 || id >= config.vocabularySize()) {
                throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, "
                        + config.vocabularySize() + ")");
            }
        }
        if (position0 < 0 || (long) position0 + tokens.length > cache.contextLength()) {
            throw new IllegalArgumentException("positions [" + position0 + ", " + (position0 + tokens.length)
                    + ") do not fit the context of " + cache.contextLength());
        }
        if (cache.layerCount() != blocks.size() || cache.backend() != backend) {
            throw new IllegalArgumentException("the cache is not one of this pass (" + cache.layerCount()
                    + " layers on " + cache.backend().name() + ")");
        }
        long rows = logits.dim(1);
        if (logits.dim(0) != config.vocabularySize() || logits.rank() > 2 || (rows != 1 && rows != tokens.length)) {
            throw new IllegalArgumentException("logits must be {" + config.vocabularySize() + ", 1} or {"
                    + config.vocabularySize() + ", " + tokens.length + "}, found " + Arrays.toString(logits.dims()));
        }
    }
}
