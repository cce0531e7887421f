package dev.petrel.conformance;

import dev.petrel.api.weights.TensorType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Random-weight models that llama.cpp loads, written with the project's GGUF writer: the
 * subjects of the conformance tests.
 *
 * <p>Every matrix is drawn from N(0, 1/fan_in) (standard deviation {@code 1/sqrt(fan_in)},
 * fan_in being the row length), so activations keep their scale through the layers and the
 * logits are spread enough for greedy decoding to be varied, not stuck on one token. RMS norm
 * weights are {@code 1 + N(0, 0.1²)}, qwen2's q/k/v biases N(0, 0.2²). Each tensor has its own
 * random stream, derived from the spec's seed and the tensor's name: the same spec gives the
 * same values whatever the weight type, so the F32 and the Q8_0 file of one seed hold the same
 * model before quantization.
 *
 * <p>The files follow what llama.cpp's converter writes for each architecture: metadata keys
 * {@code ARCH.context_length}, {@code ARCH.embedding_length}, {@code ARCH.block_count},
 * {@code ARCH.feed_forward_length}, {@code ARCH.attention.head_count},
 * {@code ARCH.attention.head_count_kv}, {@code ARCH.attention.key_length},
 * {@code ARCH.attention.value_length}, {@code ARCH.rope.dimension_count},
 * {@code ARCH.rope.freq_base}, {@code ARCH.attention.layer_norm_rms_epsilon},
 * {@code ARCH.vocab_size}, and a byte-level BPE tokenizer ({@link ByteLevelVocab}); tensors
 * {@code token_embd}, {@code output_norm}, {@code output} (untied only), {@code rope_freqs}
 * (Llama 3 scaling only) and per block {@code attn_norm}, {@code attn_q/k/v} (+ {@code .bias}
 * for qwen2), {@code attn_q_norm}/{@code attn_k_norm} (qwen3), {@code attn_output},
 * {@code ffn_norm}, {@code ffn_gate}, {@code ffn_up}, {@code ffn_down}.
 *
 * <p>With experts ({@link ModelSpec#experts()}) the blocks' feed-forward is a mixture of
 * experts instead: keys {@code ARCH.expert_count}, {@code ARCH.expert_used_count}, and for
 * qwen2moe/qwen3moe {@code ARCH.expert_feed_forward_length} (qwen2moe also
 * {@code ARCH.expert_shared_feed_forward_length}); tensors {@code ffn_gate_inp} (the router,
 * F32 as llama.cpp's quantizer leaves it, N(0, 1/n_embd) so routing varies from token to
 * token), {@code ffn_gate_exps}, {@code ffn_up_exps}, {@code ffn_down_exps} (experts stacked),
 * and for qwen2moe the shared expert {@code ffn_gate_shexp}, {@code ffn_up_shexp},
 * {@code ffn_down_shexp} with its gate vector {@code ffn_gate_inp_shexp} (F32, N(0, 1/n_embd)).
 */
public final class RandomModels {

    /** Special tokens of llama files: BOS, EOS. */
    static final List<String> LLAMA_SPECIALS = List.of("<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>");
    /** Special tokens of qwen files: end of text (BOS and EOS), chat turn markers. */
    static final List<String> QWEN_SPECIALS = List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>");

    /** Standard deviation of qwen2's q/k/v biases. */
    static final double BIAS_STD = 0.2;

    private RandomModels() {
    }

    /** Writes the model of {@code spec} to {@code file} (see {@link RandomModel#writeGguf}). */
    public static Path write(ModelSpec spec, Path file) throws IOException {
        return generate(spec).writeGguf(file);
    }

    /** The model of {@code spec}, in memory. */
    public static RandomModel generate(ModelSpec spec) {
        Arch arch = spec.arch();
        String a = spec.ggufArch();
        ByteLevelVocab vocab = ByteLevelVocab.build(spec.vocabSize(), arch == Arch.LLAMA ? LLAMA_SPECIALS : QWEN_SPECIALS);
        RandomModel.Builder b = RandomModel.builder(spec.name(), spec.seed());

        b.putString("general.architecture", a);
        b.putString("general.name", "petrel-random-" + spec.name());
        b.putUint32("general.file_type", fileType(spec.weightType()));
        b.putUint32(a + ".vocab_size", spec.vocabSize());
        b.putUint32(a + ".context_length", spec.contextLength());
        b.putUint32(a + ".embedding_length", spec.dim());
        b.putUint32(a + ".block_count", spec.layers());
        b.putUint32(a + ".feed_forward_length", spec.ffnDim());
        b.putUint32(a + ".attention.head_count", spec.heads());
        b.putUint32(a + ".attention.head_count_kv", spec.kvHeads());
        b.putUint32(a + ".attention.key_length", spec.headDim());
        b.putUint32(a + ".attention.value_length", spec.headDim());
        b.putUint32(a + ".rope.dimension_count", spec.headDim());
        b.putFloat32(a + ".rope.freq_base", spec.ropeFreqBase());
        b.putFloat32(a + ".attention.layer_norm_rms_epsilon", spec.rmsEps());
        ModelSpec.Experts experts = spec.experts();
        if (experts != null) {
            b.putUint32(a + ".expert_count", experts.count());
            b.putUint32(a + ".expert_used_count", experts.used());
            if (arch != Arch.LLAMA) {
                b.putUint32(a + ".expert_feed_forward_length", experts.ffnDim());
            }
            if (experts.sharedFfnDim() > 0) {
                b.putUint32(a + ".expert_shared_feed_forward_length", experts.sharedFfnDim());
            }
        }
        if (arch == Arch.LLAMA) {
            b.tokenizer(vocab, arch.preTokenizer(), vocab.special("<|begin_of_text|>"), vocab.special("<|end_of_text|>"), true);
        } else {
            b.tokenizer(vocab, arch.preTokenizer(), vocab.special("<|endoftext|>"), vocab.special("<|im_end|>"), false);
            b.putUint32("tokenizer.ggml.padding_token_id", vocab.special("<|endoftext|>"));
        }

        TensorType w = spec.weightType();
        int dim = spec.dim();
        b.matrix("token_embd.weight", w, dim, spec.vocabSize());
        b.norm("output_norm.weight", dim);
        if (!spec.tiedEmbeddings()) {
            b.matrix("output.weight", w, dim, spec.vocabSize());
        }
        if (spec.ropeScaling() != null) {
            float[] divisors = spec.ropeScaling().frequencyDivisors(spec.headDim(), spec.ropeFreqBase());
            b.tensor(new RandomModel.Tensor("rope_freqs.weight", new long[] {divisors.length}, divisors, TensorType.F32));
        }
        for (int i = 0; i < spec.layers(); i++) {
            String blk = "blk." + i + ".";
            b.norm(blk + "attn_norm.weight", dim);
            b.matrix(blk + "attn_q.weight", w, dim, spec.qDim());
            b.matrix(blk + "attn_k.weight", w, dim, spec.kvDim());
            b.matrix(blk + "attn_v.weight", w, dim, spec.kvDim());
            if (arch.qkvBias()) {
                b.vector(blk + "attn_q.bias", spec.qDim(), 0, BIAS_STD);
                b.vector(blk + "attn_k.bias", spec.kvDim(), 0, BIAS_STD);
                b.vector(blk + "attn_v.bias", spec.kvDim(), 0, BIAS_STD);
            }
            if (arch.qkNorm()) {
                b.norm(blk + "attn_q_norm.weight", spec.headDim());
                b.norm(blk + "attn_k_norm.weight", spec.headDim());
            }
            b.matrix(blk + "attn_output.weight", w, spec.qDim(), dim);
            b.norm(blk + "ffn_norm.weight", dim);
            if (experts == null) {
                b.matrix(blk + "ffn_gate.weight", w, dim, spec.ffnDim());
                b.matrix(blk + "ffn_up.weight", w, dim, spec.ffnDim());
                b.matrix(blk + "ffn_down.weight", w, spec.ffnDim(), dim);
                continue;
            }
            int e = experts.count();
            int ff = experts.ffnDim();
            b.matrix(blk + "ffn_gate_inp.weight", TensorType.F32, dim, e);
            b.stacked(blk + "ffn_gate_exps.weight", w, dim, ff, e);
            b.stacked(blk + "ffn_up_exps.weight", w, dim, ff, e);
            b.stacked(blk + "ffn_down_exps.weight", w, ff, dim, e);
            if (experts.sharedFfnDim() > 0) {
                int sh = experts.sharedFfnDim();
                b.vector(blk + "ffn_gate_inp_shexp.weight", dim, 0, 1 / StrictMath.sqrt(dim));
                b.matrix(blk + "ffn_gate_shexp.weight", w, dim, sh);
                b.matrix(blk + "ffn_up_shexp.weight", w, dim, sh);
                b.matrix(blk + "ffn_down_shexp.weight", w, sh, dim);
            }
        }
        return b.build();
    }

    /** llama.cpp's {@code llama_ftype} for files whose matrices are all {@code type}. */
    static int fileType(TensorType type) {
        return switch (type) {
            case F32 -> 0;
            case F16 -> 1;
            case Q4_0 -> 2;
            case Q8_0 -> 7;
            case BF16 -> 32;
            default -> throw new IllegalArgumentException("no llama_ftype for " + type);
        };
    }
}
