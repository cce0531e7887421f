package dev.petrel.conformance;

import dev.petrel.api.weights.TensorType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Random-weight {@code deepseek2} models that llama.cpp loads: multi-head latent attention
 * (optional q compression, either MLA tensor layout, optional YaRN) and DeepSeekMoE (softmax
 * or sigmoid routing, score-correction bias, expert groups, shared experts, leading dense
 * layers), with the keys and tensors llama.cpp's converter writes.
 *
 * <p>Matrices are N(0, 1/fan_in) and norms 1 + N(0, 0.1²) as in {@link RandomModels}; the
 * router ({@code ffn_gate_inp}), the norms and {@code exp_probs_b} stay F32 in every file, as
 * llama.cpp's quantizer keeps them, and {@code attn_k_b}/{@code attn_v_b} are F32 in every
 * file (see {@link #generate}). {@code exp_probs_b} is N(0, 0.1²), of the order of the
 * sigmoid scores' spread, so the bias does change which experts are chosen.
 */
public final class DeepSeek2Models {

    static final String ARCH = "deepseek2";
    static final List<String> SPECIALS = List.of("<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>");

    private DeepSeek2Models() {
    }

    /**
     * YaRN context extension as DeepSeek configures it.
     *
     * @param factor {@code rope.scaling.factor}
     * @param originalContext {@code rope.scaling.original_context_length}
     * @param mscaleAllDim DeepSeek's {@code mscale_all_dim}, written as
     *        {@code rope.scaling.yarn_log_multiplier = 0.1 * mscale_all_dim}
     */
    public record Yarn(float factor, int originalContext, float mscaleAllDim) {
        /** DeepSeek-V2-Lite's: factor 40 over 4096 positions, mscale_all_dim 0.707. */
        public static Yarn v2() {
            return new Yarn(40f, 4096, 0.707f);
        }
    }

    /**
     * One model.
     *
     * @param qLoraRank 0 for no q compression (written as 0: llama.cpp requires the key unless
     *        the layer count is a "lite" one)
     * @param gating 1 softmax, 2 sigmoid ({@code expert_gating_func})
     * @param experts routed experts; 0 for a dense model (every layer dense)
     * @param splitLayout {@code attn_k_b}/{@code attn_v_b} with {@code key_length_mla} keys, else
     *        the older {@code attn_kv_b}
     * @param yarn YaRN scaling, or null
     */
    public record Spec(String style, long seed, int vocabSize, int dim, int layers, int heads, int qLoraRank,
            int kvLoraRank, int nopeDim, int ropeDim, int valueDim, int ffnDim, int experts, int expertsUsed,
            int expertFfnDim, int sharedExperts, int leadingDense, int gating, boolean probsBias, int groups,
            int groupsUsed, boolean normalize, float scale, boolean splitLayout, Yarn yarn, TensorType weightType,
            int contextLength) {

        public Spec {
            Objects.requireNonNull(style, "style");
            Objects.requireNonNull(weightType, "weightType");
            if (experts == 0 && leadingDense < layers) {
                throw new IllegalArgumentException("a dense deepseek2 model needs leadingDense = layers");
            }
        }

        /**
         * DeepSeek-V2-Lite in small: no q compression, softmax routing without normalisation,
         * two shared experts, the first layer dense.
         */
        public static Spec v2Lite() {
            return new Spec("v2lite", 11, 515, 128, 3, 4, 0, 64, 32, 16, 32, 256, 8, 2, 64, 2, 1, 1, false, 1, 1,
                    false, 1f, true, null, TensorType.F32, 4096);
        }

        /**
         * DeepSeek-V3 in small: q compression, sigmoid routing with exp_probs_b, 4 groups of which
         * 2 are kept, normalised weights scaled by 2.5, one shared expert, the first layer dense.
         */
        public static Spec v3() {
            return new Spec("v3", 13, 515, 128, 3, 4, 96, 64, 32, 16, 32, 256, 16, 4, 64, 1, 1, 2, true, 4, 2, true,
                    2.5f, true, null, TensorType.F32, 4096);
        }

        public Spec withSplitLayout(boolean split) {
            return new Spec(style, seed, vocabSize, dim, layers, heads, qLoraRank, kvLoraRank, nopeDim, ropeDim,
                    valueDim, ffnDim, experts, expertsUsed, expertFfnDim, sharedExperts, leadingDense, gating,
                    probsBias, groups, groupsUsed, normalize, scale, split, yarn, weightType, contextLength);
        }

        public Spec withYarn(Yarn value) {
            return new Spec(style, seed, vocabSize, dim, layers, heads, qLoraRank, kvLoraRank, nopeDim, ropeDim,
                    valueDim, ffnDim, experts, expertsUsed, expertFfnDim, sharedExperts, leadingDense, gating,
                    probsBias, groups, groupsUsed, normalize, scale, splitLayout, value, weightType, contextLength);
        }

        public Spec withType(TensorType type) {
            return new Spec(style, seed, vocabSize, dim, layers, heads, qLoraRank, kvLoraRank, nopeDim, ropeDim,
                    valueDim, ffnDim, experts, expertsUsed, expertFfnDim, sharedExperts, leadingDense, gating,
                    probsBias, groups, groupsUsed, normalize, scale, splitLayout, yarn, type, contextLength);
        }

        /** Another shape of the same style (benchmarks scale a model up or down). */
        public Spec withShape(int newVocab, int newDim, int newLayers, int newHeads, int newQLoraRank,
                int newKvLoraRank, int newFfnDim, int newExperts, int newExpertsUsed, int newExpertFfnDim) {
            return new Spec(style, seed, newVocab, newDim, newLayers, newHeads, newQLoraRank, newKvLoraRank, nopeDim,
                    ropeDim, valueDim, newFfnDim, newExperts, newExpertsUsed, newExpertFfnDim, sharedExperts,
                    leadingDense, gating, probsBias, groups, groupsUsed, normalize, scale, splitLayout, yarn,
                    weightType, contextLength);
        }

        public Spec withHeadDims(int nope, int rope, int value) {
            return new Spec(style, seed, vocabSize, dim, layers, heads, qLoraRank, kvLoraRank, nope, rope, value,
                    ffnDim, experts, expertsUsed, expertFfnDim, sharedExperts, leadingDense, gating, probsBias,
                    groups, groupsUsed, normalize, scale, splitLayout, yarn, weightType, contextLength);
        }

        /** A file-name-safe description. */
        public String name() {
            return "deepseek2-" + style + "-" + (splitLayout ? "split" : "kvb") + (yarn == null ? "" : "-yarn")
                    + "-d" + dim + "-l" + layers + "-h" + heads + "-q" + qLoraRank + "-kv" + kvLoraRank + "-e" + experts
                    + "-" + weightType.name().toLowerCase(java.util.Locale.ROOT);
        }

        int keyDim() {
            return nopeDim + ropeDim;
        }

        @Override
        public String toString() {
            return name();
        }
    }

    /** Writes the model of {@code spec} to {@code file}. */
    public static Path write(Spec spec, Path file) throws IOException {
        return generate(spec).writeGguf(file);
    }

    /** The model of {@code spec}, in memory. */
    public static RandomModel generate(Spec s) {
        String a = ARCH + ".";
        ByteLevelVocab vocab = ByteLevelVocab.build(s.vocabSize(), SPECIALS);
        RandomModel.Builder b = RandomModel.builder(s.name(), s.seed());
        b.putString("general.architecture", ARCH);
        b.putString("general.name", "petrel-random-" + s.name());
        b.putUint32("general.file_type", RandomModels.fileType(s.weightType()));
        b.putUint32(a + "vocab_size", s.vocabSize());
        b.putUint32(a + "context_length", s.contextLength());
        b.putUint32(a + "embedding_length", s.dim());
        b.putUint32(a + "block_count", s.layers());
        b.putUint32(a + "feed_forward_length", s.ffnDim());
        b.putUint32(a + "attention.head_count", s.heads());
        if (s.splitLayout()) {
            // The converter describes the absorbed form: one latent "key/value head".
            b.putUint32(a + "attention.head_count_kv", 1);
            b.putUint32(a + "attention.key_length", s.kvLoraRank() + s.ropeDim());
            b.putUint32(a + "attention.value_length", s.kvLoraRank());
            b.putUint32(a + "attention.key_length_mla", s.keyDim());
            b.putUint32(a + "attention.value_length_mla", s.valueDim());
        } else {
            b.putUint32(a + "attention.head_count_kv", s.heads());
            b.putUint32(a + "attention.key_length", s.keyDim());
            b.putUint32(a + "attention.value_length", s.valueDim());
        }
        b.putUint32(a + "attention.q_lora_rank", s.qLoraRank());
        b.putUint32(a + "attention.kv_lora_rank", s.kvLoraRank());
        b.putUint32(a + "rope.dimension_count", s.ropeDim());
        b.putFloat32(a + "rope.freq_base", 10000f);
        b.putFloat32(a + "attention.layer_norm_rms_epsilon", 1e-6f);
        b.putUint32(a + "leading_dense_block_count", s.leadingDense());
        b.putUint32(a + "expert_feed_forward_length", s.expertFfnDim());
        b.putUint32(a + "expert_shared_count", s.sharedExperts());
        if (s.experts() > 0) {
            b.putUint32(a + "expert_count", s.experts());
            b.putUint32(a + "expert_used_count", s.expertsUsed());
            b.putFloat32(a + "expert_weights_scale", s.scale());
            b.putBool(a + "expert_weights_norm", s.normalize());
            b.putUint32(a + "expert_gating_func", s.gating());
            if (s.groups() > 1) {
                b.putUint32(a + "expert_group_count", s.groups());
                b.putUint32(a + "expert_group_used_count", s.groupsUsed());
            }
        }
        if (s.yarn() != null) {
            b.putString(a + "rope.scaling.type", "yarn");
            b.putFloat32(a + "rope.scaling.factor", s.yarn().factor());
            b.putUint32(a + "rope.scaling.original_context_length", s.yarn().originalContext());
            b.putFloat32(a + "rope.scaling.yarn_log_multiplier", 0.1f * s.yarn().mscaleAllDim());
        }
        b.tokenizer(vocab, "deepseek-llm", vocab.special(SPECIALS.get(0)), vocab.special(SPECIALS.get(1)), true);

        TensorType w = s.weightType();
        // This llama.cpp's CPU backend cannot build the per-head products of a 3-dimensional
        // attn_k_b/attn_v_b in F16 or a quantized type (it aborts with GGML_ASSERT(*cur_backend_id
        // != -1) while reserving the graph): those two are F32 in every file.
        TensorType perHead = TensorType.F32;
        int n = s.dim();
        b.matrix("token_embd.weight", w, n, s.vocabSize());
        b.norm("output_norm.weight", n);
        b.matrix("output.weight", w, n, s.vocabSize());
        for (int i = 0; i < s.layers(); i++) {
            String p = "blk." + i + ".";
            b.norm(p + "attn_norm.weight", n);
            if (s.qLoraRank() > 0) {
                b.matrix(p + "attn_q_a.weight", w, n, s.qLoraRank());
                b.norm(p + "attn_q_a_norm.weight", s.qLoraRank());
                b.matrix(p + "attn_q_b.weight", w, s.qLoraRank(), s.heads() * s.keyDim());
            } else {
                b.matrix(p + "attn_q.weight", w, n, s.heads() * s.keyDim());
            }
            b.matrix(p + "attn_kv_a_mqa.weight", w, n, s.kvLoraRank() + s.ropeDim());
            b.norm(p + "attn_kv_a_norm.weight", s.kvLoraRank());
            if (s.splitLayout()) {
                // Per head, the transposed key part and the value part of one attn_kv_b (as the converter splits it).
                b.random(p + "attn_k_b.weight", perHead, new long[] {s.nopeDim(), s.kvLoraRank(), s.heads()}, 0,
                        1 / StrictMath.sqrt(s.kvLoraRank()));
                b.random(p + "attn_v_b.weight", perHead, new long[] {s.kvLoraRank(), s.valueDim(), s.heads()}, 0,
                        1 / StrictMath.sqrt(s.kvLoraRank()));
            } else {
                b.matrix(p + "attn_kv_b.weight", w, s.kvLoraRank(), s.heads() * (s.nopeDim() + s.valueDim()));
            }
            b.matrix(p + "attn_output.weight", w, s.heads() * s.valueDim(), n);
            b.norm(p + "ffn_norm.weight", n);
            if (i < s.leadingDense()) {
                b.matrix(p + "ffn_gate.weight", w, n, s.ffnDim());
                b.matrix(p + "ffn_up.weight", w, n, s.ffnDim());
                b.matrix(p + "ffn_down.weight", w, s.ffnDim(), n);
                continue;
            }
            b.matrix(p + "ffn_gate_inp.weight", TensorType.F32, n, s.experts());
            if (s.probsBias()) {
                b.vector(p + "exp_probs_b.bias", s.experts(), 0, 0.1);
            }
            b.stacked(p + "ffn_gate_exps.weight", w, n, s.expertFfnDim(), s.experts());
            b.stacked(p + "ffn_up_exps.weight", w, n, s.expertFfnDim(), s.experts());
            b.stacked(p + "ffn_down_exps.weight", w, s.expertFfnDim(), n, s.experts());
            if (s.sharedExperts() > 0) {
                int shared = s.sharedExperts() * s.expertFfnDim();
                b.matrix(p + "ffn_gate_shexp.weight", w, n, shared);
                b.matrix(p + "ffn_up_shexp.weight", w, n, shared);
                b.matrix(p + "ffn_down_shexp.weight", w, shared, n);
            }
        }
        return b.build();
    }
}
