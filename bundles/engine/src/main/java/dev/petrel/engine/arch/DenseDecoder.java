package dev.petrel.engine.arch;

import dev.petrel.api.attention.AttentionConfig;
import dev.petrel.api.attention.AttentionStrategy;
import dev.petrel.api.attention.AttentionWeights;
import dev.petrel.api.attention.KvCache;
import dev.petrel.api.engine.ForwardPass;
import dev.petrel.api.engine.ModelConfig;
import dev.petrel.api.experts.DenseWeights;
import dev.petrel.api.experts.Experts;
import dev.petrel.api.experts.FeedForward;
import dev.petrel.api.experts.MoeConfig;
import dev.petrel.api.experts.MoeWeights;
import dev.petrel.api.kernel.ComputeStream;
import dev.petrel.api.kernel.KernelBackend;
import dev.petrel.api.kernel.Op;
import dev.petrel.api.kernel.Tensor;
import dev.petrel.api.weights.TensorType;
import dev.petrel.api.weights.WeightSource;
import dev.petrel.engine.arch.DecoderVariant.Presence;
import dev.petrel.engine.arch.WeightPlacer.Shape;
import java.util.ArrayList;
import java.util.List;

/**
 * The forward pass of a decoder (llama, qwen2, qwen3; with experts llama/Mixtral, qwen2moe,
 * qwen3moe) on one kernel backend.
 *
 * <pre>
 * x = token_embd[ids]                                   {n_embd, T}
 * for each block:
 *     x += attention(rms_norm(x) * attn_norm)           GQA over the KV cache, RoPE
 *     h = rms_norm(x) * ffn_norm
 *     x += down(silu(gate h) * up h)                    dense block
 *       or experts(h)                                   MoE block: routed (+ shared) experts
 * logits = output · (rms_norm(x) * output_norm)         {n_vocab, T or 1}
 * </pre>
 *
 * Every step runs as ops on the backend: weights stay where they were placed, activations in
 * the stream's scratch tensors, and only the logits are read back by the caller.
 */
public final class DenseDecoder implements ForwardPass {

    /** One transformer block's weights. */
    record Block(
            Tensor attnNorm,                  // {n_embd}
            AttentionWeights.Gqa attention,   // wq {n_embd, H*dk}, wk/wv {n_embd, Hkv*dk}, wo {H*dv, n_embd}
            Tensor ffnNorm,                   // {n_embd}
            DenseWeights ffn,                 // gate/up {n_embd, n_ff}, down {n_ff, n_embd}; null in a MoE block
            MoeWeights moe) {                 // the experts of a MoE block, else null
    }

    private final WeightSource source;
    private final ModelConfig config;
    private final DecoderVariant variant;
    private final AttentionStrategy attention;
    private final FeedForward feedForward;
    private final Experts experts;
    private final KernelBackend backend;
    private final WeightPlacer weights;

    private final Tensor tokenEmbd;    // {n_embd, n_vocab}
    private final List<Block> blocks;
    private final Tensor outputNorm;   // {n_embd}
    private final Tensor output;       // {n_embd, n_vocab}; token_embd when the model ties them

    private DenseDecoder(WeightSource source, ModelConfig config, DecoderVariant variant, AttentionStrategy attention,
            FeedForward feedForward, Experts experts, KernelBackend backend, WeightPlacer weights, Tensor tokenEmbd,
            List<Block> blocks, Tensor outputNorm, Tensor output) {
        this.source = source;
        this.config = config;
        this.variant = variant;
        this.attention = attention;
        this.feedForward = feedForward;
        this.experts = experts;
        this.backend = backend;
        this.weights = weights;
        this.tokenEmbd = tokenEmbd;
        this.blocks = List.copyOf(blocks);
        this.outputNorm = outputNorm;
        this.output = output;
    }

    /** Checks every tensor against the config and places the weights on {@code backend}. */
    static DenseDecoder place(WeightSource source, ModelConfig config, DecoderVariant variant,
            AttentionStrategy attention, FeedForward feedForward, Experts experts, KernelBackend backend) {
        AttentionConfig a = config.attention();
        int n = config.embeddingLength();
        int vocab = config.vocabularySize();
        int qLength = a.headCount() * a.keyLength();
        int kLength = a.kvHeadCount() * a.keyLength();
        int vLength = a.kvHeadCount() * a.valueLength();
        int outLength = a.headCount() * a.valueLength();
        int ff = config.feedForwardLength();
        int ropePairs = a.rope().dimensions() / 2;
        for (Op op : List.of(Op.RMS_NORM, Op.ROPE, Op.ADD, Op.MUL, Op.SILU_MUL)) {
            if (!backend.supports(op)) {
                throw new UnsupportedOperationException("kernel backend '" + backend.name() + "' lacks " + op);
            }
        }
        MoeConfig moe = config.moe();
        if (moe != null) {
            for (Op op : List.of(Op.MOE_ROUTE, Op.MOE_COMBINE, Op.SIGMOID)) {
                if (!backend.supports(op)) {
                    throw new UnsupportedOperationException("kernel backend '" + backend.name() + "' lacks " + op
                            + " for mixture-of-experts");
                }
            }
        }

        WeightPlacer w = new WeightPlacer(source, backend);
        try {
            Tensor tokenEmbd = w.table("token_embd.weight", Shape.of("n_embd", n, "n_vocab", vocab));
            Tensor ropeFactors = null;
            if (variant.ropeFreqs()) {
                ropeFactors = w.optionalVector("rope_freqs.weight", Shape.of("n_rot/2", ropePairs));
                float[] computed = RopeScaling.llama3Factors(new ArchKeys(source.metadata(), config.architecture()),
                        a.rope().dimensions());
                if (ropeFactors == null && computed != null) {
                    ropeFactors = w.computed("rope_freqs (from rope.scaling keys)", computed);
                }
            }
            List<Block> blocks = new ArrayList<>(config.blockCount());
            for (int i = 0; i < config.blockCount(); i++) {
                String p = "blk." + i + ".";
                Presence bias = variant.qkvBias();
                AttentionWeights.Gqa attn = new AttentionWeights.Gqa(
                        w.matrix(p + "attn_q.weight", Shape.of("n_embd", n, "H*dk", qLength)),
                        w.matrix(p + "attn_k.weight", Shape.of("n_embd", n, "Hkv*dk", kLength)),
                        w.matrix(p + "attn_v.weight", Shape.of("n_embd", n, "Hkv*dv", vLength)),
                        w.matrix(p + "attn_output.weight", Shape.of("H*dv", outLength, "n_embd", n)),
                        bias(w, bias, p + "attn_q.bias", Shape.of("H*dk", qLength)),
                        bias(w, bias, p + "attn_k.bias", Shape.of("Hkv*dk", kLength)),
                        bias(w, bias, p + "attn_v.bias", Shape.of("Hkv*dv", vLength)),
                        variant.outputBias() ? w.optionalVector(p + "attn_output.bias", Shape.of("n_embd", n)) : null,
                        variant.qkNorm() ? w.vector(p + "attn_q_norm.weight", Shape.of("dk", a.keyLength())) : null,
                        variant.qkNorm() ? w.vector(p + "attn_k_norm.weight", Shape.of("dk", a.keyLength())) : null,
                        ropeFactors);
                boolean moeBlock = config.isMoeLayer(i);
                DenseWeights ffn = moeBlock ? null : new DenseWeights(
                        w.matrix(p + "ffn_gate.weight", Shape.of("n_embd", n, "n_ff", ff)),
                        w.matrix(p + "ffn_up.weight", Shape.of("n_embd", n, "n_ff", ff)),
                        w.matrix(p + "ffn_down.weight", Shape.of("n_ff", ff, "n_embd", n)));
                blocks.add(new Block(
                        w.vector(p + "attn_norm.weight", Shape.of("n_embd", n)),
                        attn,
                        w.vector(p + "ffn_norm.weight", Shape.of("n_embd", n)),
                        ffn,
                        moeBlock ? placeExperts(w, p, config, variant) : null));
            }
            Tensor outputNorm = w.vector("output_norm.weight", Shape.of("n_embd", n));
            Tensor output = w.optionalMatrix("output.weight", Shape.of("n_embd", n, "n_vocab", vocab));
            if (output == null) {
                w.requireSupport(tokenEmbd, Op.MATMUL, "tied output projection");
                output = tokenEmbd;
            }
            w.requireAllUsed(config.architecture() + " with " + config.blockCount() + " blocks and its options");
            return new DenseDecoder(source, config, variant, attention, feedForward, experts, backend, w, tokenEmbd,
                    blocks, outputNorm, output);
        } catch (RuntimeException e) {
            w.close();
            throw e;
        }
    }

    /** One MoE block's weights; the dims name the keys they come from, so a mismatch names both. */
    private static MoeWeights placeExperts(WeightPlacer w, String p, ModelConfig config, DecoderVariant variant) {
        MoeConfig moe = config.moe();
        String arch = config.architecture();
        int n = config.embeddingLength();
        int experts = moe.expertCount();
        String e = arch + ".expert_count";
        int ffExp = moe.expertFeedForwardLength();
        String f = variant.moe().expertLength() == DecoderVariant.ExpertLength.FEED_FORWARD_LENGTH
                ? arch + ".feed_forward_length" : arch + ".expert_feed_forward_length";
        Tensor router = w.matrix(p + "ffn_gate_inp.weight", Shape.of("n_embd", n, e, experts));
        Tensor gate = w.experts(p + "ffn_gate_exps.weight", Shape.of("n_embd", n, f, ffExp, e, experts));
        Tensor up = w.experts(p + "ffn_up_exps.weight", Shape.of("n_embd", n, f, ffExp, e, experts));
        Tensor down = w.experts(p + "ffn_down_exps.weight", Shape.of(f, ffExp, "n_embd", n, e, experts));
        DenseWeights shared = null;
        Tensor sharedGate = null;
        int sharedLength = moe.sharedLength();
        if (sharedLength > 0) {
            String s = arch + ".expert_shared_feed_forward_length";
            shared = new DenseWeights(
                    w.matrix(p + "ffn_gate_shexp.weight", Shape.of("n_embd", n, s, sharedLength)),
                    w.matrix(p + "ffn_up_shexp.weight", Shape.of("n_embd", n, s, sharedLength)),
                    w.matrix(p + "ffn_down_shexp.weight", Shape.of(s, sharedLength, "n_embd", n)));
        }
        if (variant.moe().gatedSharedExpert()) {
            // GGUF stores the gate as a vector {n_embd}; as a matrix it has one output row.
            sharedGate = w.matrix(p + "ffn_gate_inp_shexp.weight", Shape.of("n_embd", n)).reshape(n, 1);
        }
        return new MoeWeights(router, null, gate, up, down, shared, sharedGate);
    }

    private static Tensor bias(WeightPlacer w, Presence presence, String name, Shape shape) {
        return switch (presence) {
            case ABSENT -> null;
            case OPTIONAL -> w.optionalVector(name, shape);
            case REQUIRED -> w.vector(name, shape);
        };
    }

    @Override
    public void forward(ComputeStream stream, KvCache cache, int[] tokens, int position0, Tensor logits) {
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
                    + config.vocabularySize() + ", " + tokens.length + "}, found "
                    + java.util.Arrays.toString(logits.dims()));
        }
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    @Override
    public KernelBackend backend() {
        return backend;
    }

    @Override
    public KvCache createCache(int contextLength, TensorType type) {
        if (!backend.supports(Op.ATTENTION, type) || !backend.supports(Op.COPY, TensorType.F32, type)) {
            throw new UnsupportedOperationException("kernel backend '" + backend.name()
                    + "' has no attention over a " + type + " cache");
        }
        return attention.createCache(backend, config.attention(), config.blockCount(), contextLength, type);
    }

    @Override
    public ForwardPass moveTo(KernelBackend target) {
        return place(source, config, variant, attention, feedForward, experts, target);
    }

    @Override
    public long weightBytes() {
        return weights.bytes();
    }

    /**
     * Every weight but the embedding table, of which a token reads one row (unless it is also
     * the output), and but the routed experts a token does not use: of {@code E} stacked
     * experts it reads {@code K}.
     */
    @Override
    public long activeWeightBytesPerToken() {
        long active = weights.bytes();
        if (output != tokenEmbd) {
            active -= tokenEmbd.byteSize() - tokenEmbd.type().rowBytes(tokenEmbd.dim(0));
        }
        for (Block block : blocks) {
            MoeWeights moe = block.moe();
            if (moe != null) {
                int experts = config.moe().expertCount();
                int idle = experts - config.moe().routing().used();
                for (Tensor t : List.of(moe.gate(), moe.up(), moe.down())) {
                    active -= t.byteSize() / experts * idle;
                }
            }
        }
        return active;
    }

    @Override
    public void close() {
        weights.close();
    }
}
