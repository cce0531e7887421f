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
 * qwen3moe) on one kernel backend: GQA attention over the KV cache, dense or MoE blocks,
 * run by {@link DecoderStack}; this class places and checks the weights.
 *
 * <p>Every step runs as ops on the backend: weights stay where they were placed, activations in
 * the stream's scratch tensors, and only the logits are read back by the caller.
 */
public final class DenseDecoder implements ForwardPass {

    private final WeightSource source;
    private final ModelConfig config;
    private final DecoderVariant variant;
    private final AttentionStrategy attention;
    private final FeedForward feedForward;
    private final Experts experts;
    private final KernelBackend backend;
    private final WeightPlacer weights;

    private final Tensor tokenEmbd;    // {n_embd, n_vocab}
    private final DecoderStack stack;   // the forward loop, shared with the other architectures
    private final Tensor output;       // {n_embd, n_vocab}; token_embd when the model ties them

    private DenseDecoder(WeightSource source, ModelConfig config, DecoderVariant variant, AttentionStrategy attention,
            FeedForward feedForward, Experts experts, KernelBackend backend, WeightPlacer weights, Tensor tokenEmbd,
            List<DecoderStack.Block> blocks, Tensor outputNorm, Tensor output) {
        this.source = source;
        this.config = config;
        this.variant = variant;
        this.attention = attention;
        this.feedForward = feedForward;
        this.experts = experts;
        this.backend = backend;
        this.weights = weights;
        this.tokenEmbd = tokenEmbd;
        this.output = output;
        this.stack = new DecoderStack(config, attention, feedForward, experts, backend, tokenEmbd, blocks,
                outputNorm, output);
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
            List<DecoderStack.Block> blocks = new ArrayList<>(config.blockCount());
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
                blocks.add(new DecoderStack.Block(
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
        stack.forward(stream, cache, tokens, position0, logits);
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
        for (DecoderStack.Block block : stack.blocks()) {
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
