package dev.petrel.engine.arch;

import dev.petrel.api.ModelFormatException;
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
import dev.petrel.api.weights.TensorInfo;
import dev.petrel.api.weights.TensorType;
import dev.petrel.api.weights.WeightSource;
import dev.petrel.engine.arch.WeightPlacer.Shape;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The forward pass of a {@code deepseek2} model on one kernel backend.
 *
 * <pre>
 * x = token_embd[ids]                                       {n_embd, T}
 * for each block:
 *     x += mla(rms_norm(x) * attn_norm)                      latent cache, decoupled rope key
 *     h  = rms_norm(x) * ffn_norm
 *     x += dense SwiGLU(h)                                   the first leading_dense_block_count blocks
 *       or routed experts(h) + shared experts(h)            the others
 * logits = output · (rms_norm(x) * output_norm)
 * </pre>
 *
 * When the file's MLA layout is not the one the strategy reads, the missing tensors are
 * derived at load ({@link MlaLayouts}) and the file's are read once, not kept.
 */
final class DeepSeek2Decoder implements ForwardPass {

    private final WeightSource source;
    private final ModelConfig config;
    private final boolean splitLayout;
    private final AttentionStrategy attention;
    private final FeedForward feedForward;
    private final Experts experts;
    private final KernelBackend backend;
    private final WeightPlacer weights;
    private final MlaLayouts derived;
    private final Tensor tokenEmbd;
    private final DecoderStack stack;   // the forward loop, shared with the other architectures
    private final Tensor output;

    private DeepSeek2Decoder(WeightSource source, ModelConfig config, boolean splitLayout, AttentionStrategy attention,
            FeedForward feedForward, Experts experts, KernelBackend backend, WeightPlacer weights, MlaLayouts derived,
            Tensor tokenEmbd, List<DecoderStack.Block> blocks, Tensor outputNorm, Tensor output) {
        this.source = source;
        this.config = config;
        this.splitLayout = splitLayout;
        this.attention = attention;
        this.feedForward = feedForward;
        this.experts = experts;
        this.backend = backend;
        this.weights = weights;
        this.derived = derived;
        this.tokenEmbd = tokenEmbd;
        this.output = output;
        this.stack = new DecoderStack(config, attention, feedForward, experts, backend, tokenEmbd, blocks,
                outputNorm, output);
    }

    /** Checks every tensor against the config and places the weights on {@code backend}. */
    static DeepSeek2Decoder place(WeightSource source, ModelConfig config, boolean splitLayout,
            AttentionStrategy attention, FeedForward feedForward, Experts experts, KernelBackend backend) {
        for (Op op : List.of(Op.RMS_NORM, Op.ROPE, Op.ADD, Op.MUL, Op.SILU_MUL, Op.CONCAT)) {
            if (!backend.supports(op)) {
                throw new UnsupportedOperationException("kernel backend '" + backend.name() + "' lacks " + op);
            }
        }
        String arch = config.architecture() + ".";
        AttentionConfig a = config.attention();
        AttentionConfig.Mla mla = a.mla();
        int n = config.embeddingLength();
        int heads = a.headCount();
        int r = mla.kvLoraRank();
        int dn = mla.nopeLength();
        int dr = mla.ropeLength();
        int dk = a.keyLength();
        int dv = a.valueLength();
        // Dimension names carry their keys, so a shape error says which key disagrees with the tensor.
        String kvRank = "kv_lora_rank (" + arch + "attention.kv_lora_rank)";
        String ropeDims = "qk_rope_head_dim (" + arch + "rope.dimension_count)";
        String keyDims = "H*dk (" + arch + "attention.head_count * " + arch
                + (splitLayout ? "attention.key_length_mla" : "attention.key_length") + ")";
        String valueDims = "H*dv (" + arch + "attention.head_count * " + arch
                + (splitLayout ? "attention.value_length_mla" : "attention.value_length") + ")";
        boolean absorbed = attention.name().equals(DeepSeek2Architecture.ABSORBED);

        Set<String> used = new HashSet<>();
        WeightPlacer w = new WeightPlacer(source, backend);
        MlaLayouts layouts = new MlaLayouts(source, backend);
        try {
            Tensor tokenEmbd = w.table(use(used, "token_embd.weight"), Shape.of("n_embd", n, "n_vocab",
                    config.vocabularySize()));
            MoeConfig moe = config.moe();
            boolean bias = false;
            List<DecoderStack.Block> blocks = new ArrayList<>(config.blockCount());
            for (int i = 0; i < config.blockCount(); i++) {
                String p = "blk." + i + ".";
                Tensor wq = null;
                Tensor wqA = null;
                Tensor qANorm = null;
                Tensor wqB = null;
                if (mla.qLoraRank() == 0) {
                    wq = w.matrix(use(used, p + "attn_q.weight"), Shape.of("n_embd", n, keyDims, heads * dk));
                } else {
                    String qRank = "q_lora_rank (" + arch + "attention.q_lora_rank)";
                    wqA = w.matrix(use(used, p + "attn_q_a.weight"), Shape.of("n_embd", n, qRank, mla.qLoraRank()));
                    qANorm = w.vector(use(used, p + "attn_q_a_norm.weight"), Shape.of(qRank, mla.qLoraRank()));
                    wqB = w.matrix(use(used, p + "attn_q_b.weight"), Shape.of(qRank, mla.qLoraRank(), keyDims,
                            heads * dk));
                }
                Tensor wkvA = w.matrix(use(used, p + "attn_kv_a_mqa.weight"),
                        Shape.of("n_embd", n, kvRank + " + " + ropeDims, r + dr));
                Tensor kvANorm = w.vector(use(used, p + "attn_kv_a_norm.weight"), Shape.of(kvRank, r));
                Tensor wkvB = null;
                Tensor wkB = null;
                Tensor wvB = null;
                Shape kvBShape = Shape.of(kvRank, r, "H*(dn+dv) (" + arch + "attention.head_count * (key_length "
                        + "- rope.dimension_count + value_length))", heads * (dn + dv));
                Shape kBShape = Shape.of("qk_nope_head_dim (" + arch + "attention.key_length_mla - " + arch
                        + "rope.dimension_count)", dn, kvRank, r, "H (" + arch + "attention.head_count)", heads);
                Shape vBShape = Shape.of(kvRank, r, "v_head_dim (" + arch + "attention.value_length_mla)", dv,
                        "H (" + arch + "attention.head_count)", heads);
                if (splitLayout && absorbed) {
                    wkB = w.matrix(use(used, p + "attn_k_b.weight"), kBShape);
                    wvB = w.matrix(use(used, p + "attn_v_b.weight"), vBShape);
                    w.requireSupport(wkB, Op.MATMUL_HEADS, "absorbed key projection");
                    w.requireSupport(wvB, Op.MATMUL_HEADS, "absorbed value projection");
                } else if (!splitLayout && !absorbed) {
                    wkvB = w.matrix(use(used, p + "attn_kv_b.weight"), kvBShape);
                } else if (splitLayout) {
                    wkvB = layouts.joined(use(used, p + "attn_k_b.weight"), kBShape, use(used, p + "attn_v_b.weight"),
                            vBShape, heads, r, dn, dv, p + "attn_kv_b (from attn_k_b, attn_v_b)");
                } else {
                    MlaLayouts.Split split = layouts.split(use(used, p + "attn_kv_b.weight"), kvBShape, heads, r, dn,
                            dv, p);
                    wkB = split.wkB();
                    wvB = split.wvB();
                }
                AttentionWeights.Mla attn = new AttentionWeights.Mla(wq, wqA, qANorm, wqB, wkvA, kvANorm, wkvB, wkB,
                        wvB, w.matrix(use(used, p + "attn_output.weight"), Shape.of(valueDims, heads * dv, "n_embd", n)));

                Tensor attnNorm = w.vector(use(used, p + "attn_norm.weight"), Shape.of("n_embd", n));
                Tensor ffnNorm = w.vector(use(used, p + "ffn_norm.weight"), Shape.of("n_embd", n));
                if (!config.isMoeLayer(i)) {
                    String ff = "n_ff (" + arch + "feed_forward_length)";
                    DenseWeights dense = new DenseWeights(
                            w.matrix(use(used, p + "ffn_gate.weight"), Shape.of("n_embd", n, ff, config.feedForwardLength())),
                            w.matrix(use(used, p + "ffn_up.weight"), Shape.of("n_embd", n, ff, config.feedForwardLength())),
                            w.matrix(use(used, p + "ffn_down.weight"), Shape.of(ff, config.feedForwardLength(), "n_embd", n)));
                    blocks.add(new DecoderStack.Block(attnNorm, attn, ffnNorm, dense, null));
                    continue;
                }
                int e = moe.expertCount();
                int ffe = moe.expertFeedForwardLength();
                String expertDim = "n_expert (" + arch + "expert_count)";
                String ffExp = "n_ff_exp (" + arch + "expert_feed_forward_length)";
                Tensor router = w.matrix(use(used, p + "ffn_gate_inp.weight"), Shape.of("n_embd", n, expertDim, e));
                Tensor probsBias = w.optionalVector(use(used, p + "exp_probs_b.bias"), Shape.of(expertDim, e));
                if (i > moe.leadingDenseBlockCount() && (probsBias != null) != bias) {
                    throw new ModelFormatException(source.location(), p + "exp_probs_b.bias",
                            "present in some MoE layers and not in others");
                }
                bias = probsBias != null;
                Tensor gate = w.matrix(use(used, p + "ffn_gate_exps.weight"), Shape.of("n_embd", n, ffExp, ffe, expertDim, e));
                Tensor up = w.matrix(use(used, p + "ffn_up_exps.weight"), Shape.of("n_embd", n, ffExp, ffe, expertDim, e));
                Tensor down = w.matrix(use(used, p + "ffn_down_exps.weight"), Shape.of(ffExp, ffe, "n_embd", n, expertDim, e));
                for (Tensor t : List.of(gate, up, down)) {
                    w.requireSupport(t, Op.MATMUL_EXPERTS, "expert matrix product");
                }
                DenseWeights shared = null;
                int sharedLength = moe.sharedLength();
                if (sharedLength > 0) {
                    String ffShared = "n_ff_exp * n_expert_shared (" + arch + "expert_feed_forward_length * " + arch
                            + "expert_shared_count)";
                    shared = new DenseWeights(
                            w.matrix(use(used, p + "ffn_gate_shexp.weight"), Shape.of("n_embd", n, ffShared, sharedLength)),
                            w.matrix(use(used, p + "ffn_up_shexp.weight"), Shape.of("n_embd", n, ffShared, sharedLength)),
                            w.matrix(use(used, p + "ffn_down_shexp.weight"), Shape.of(ffShared, sharedLength, "n_embd", n)));
                }
                blocks.add(new DecoderStack.Block(attnNorm, attn, ffnNorm, null,
                        new MoeWeights(router, probsBias, gate, up, down, shared, null)));
            }
            Tensor outputNorm = w.vector(use(used, "output_norm.weight"), Shape.of("n_embd", n));
            Tensor output = w.optionalMatrix(use(used, "output.weight"), Shape.of("n_embd", n, "n_vocab",
                    config.vocabularySize()));
            if (output == null) {
                w.requireSupport(tokenEmbd, Op.MATMUL, "tied output projection");
                output = tokenEmbd;
            }
            for (TensorInfo t : source.tensors()) {
                if (!used.contains(t.name())) {
                    throw new ModelFormatException(source.location(), t.name(), "unexpected tensor: "
                            + config.architecture() + " with " + config.blockCount() + " blocks and its options"
                            + " do not account for it");
                }
            }
            ModelConfig effective = config;
            if (moe != null && bias != moe.scoreCorrectionBias()) {
                effective = new ModelConfig(config.architecture(), config.name(), config.vocabularySize(),
                        config.contextLength(), config.embeddingLength(), config.blockCount(),
                        config.feedForwardLength(), config.normEps(), config.attention(),
                        new MoeConfig(moe.expertCount(), moe.expertFeedForwardLength(), moe.sharedExpertCount(),
                                moe.sharedFeedForwardLength(), moe.leadingDenseBlockCount(), bias, moe.routing()));
            }
            return new DeepSeek2Decoder(source, effective, splitLayout, attention, feedForward, experts, backend, w,
                    layouts, tokenEmbd, blocks, outputNorm, output);
        } catch (RuntimeException e) {
            layouts.close();
            w.close();
            throw e;
        }
    }

    private static String use(Set<String> used, String name) {
        used.add(name);
        return name;
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

    /** The attention strategy in use ({@code mla-absorbed} or {@code mla-naive}). */
    String attentionName() {
        return attention.name();
    }

    @Override
    public KvCache createCache(int contextLength, TensorType type) {
        if (!backend.supports(Op.ATTENTION, type) || !backend.supports(Op.COPY, TensorType.F32, type)
                || !backend.supports(Op.COPY, type, TensorType.F32)) {
            throw new UnsupportedOperationException("kernel backend '" + backend.name()
                    + "' has no attention over a " + type + " cache");
        }
        return attention.createCache(backend, config.attention(), config.blockCount(), contextLength, type);
    }

    @Override
    public ForwardPass moveTo(KernelBackend target) {
        return place(source, config, splitLayout, attention, feedForward, experts, target);
    }

    @Override
    public long weightBytes() {
        return weights.bytes() + derived.bytes();
    }

    /**
     * Every weight a token reads: all but the embedding table (one row of it) and, in each MoE
     * layer, the routed experts it does not choose.
     */
    @Override
    public long activeWeightBytesPerToken() {
        long bytes = weightBytes();
        if (output != tokenEmbd) {
            bytes -= tokenEmbd.byteSize() - tokenEmbd.type().rowBytes(tokenEmbd.dim(0));
        }
        MoeConfig moe = config.moe();
        for (DecoderStack.Block block : stack.blocks()) {
            if (block.moe() != null) {
                long routed = block.moe().gate().byteSize() + block.moe().up().byteSize() + block.moe().down().byteSize();
                bytes -= routed / moe.expertCount() * (moe.expertCount() - moe.routing().used());
            }
        }
        return bytes;
    }

    @Override
    public void close() {
        derived.close();
        weights.close();
    }
}
