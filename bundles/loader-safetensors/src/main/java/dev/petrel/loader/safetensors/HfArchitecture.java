package dev.petrel.loader.safetensors;

import dev.petrel.api.ModelFormatException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a Hugging Face architecture becomes in GGUF terms, the way llama.cpp's
 * {@code convert_hf_to_gguf.py} converts it: config.json fields as {@code {arch}.*} keys, and
 * each HF tensor name as a GGUF tensor name, with the changes the converter makes to the data
 * (Llama's q/k row permutation; per-expert matrices stacked into one tensor).
 *
 * <p>Supported: {@code LlamaForCausalLM} and {@code MistralForCausalLM} and
 * {@code MixtralForCausalLM} as {@code llama}, {@code Qwen2ForCausalLM} as {@code qwen2},
 * {@code Qwen3ForCausalLM} as {@code qwen3}, {@code DeepseekV2ForCausalLM} and
 * {@code DeepseekV3ForCausalLM} as {@code deepseek2}. DeepSeek's {@code kv_b_proj} stays one
 * tensor, {@code attn_kv_b} (the GGUF layout without {@code key_length_mla}), so that an FP8
 * {@code kv_b_proj} keeps its 128 × 128 blocks: the split layout would transpose it.
 */
final class HfArchitecture {

    /** How the converter changes a tensor's data on the way to GGUF. */
    enum Transform {
        NONE,
        /** Llama's query rows: {@code permute(w, n_head, n_head)}. */
        PERMUTE_Q,
        /** Llama's key rows: {@code permute(w, n_head, n_head_kv)}. */
        PERMUTE_K
    }

    /**
     * Where an HF tensor goes.
     *
     * @param name the GGUF tensor name
     * @param transform the change of its rows
     * @param expert the expert index for a tensor stacked with the other experts' into
     *     {@code name}, or -1
     */
    record Target(String name, Transform transform, int expert) {
    }

    /** A tensor the converter leaves out (rotary caches, DeepSeek-V3's multi-token prediction layers). */
    static final Target SKIP = new Target("", Transform.NONE, -2);

    private static final Pattern LAYER = Pattern.compile("model\\.layers\\.(\\d{1,9})\\.(.+)");
    private static final Pattern LLAMA_EXPERT = Pattern.compile("block_sparse_moe\\.experts\\.(\\d{1,9})\\.(w[123])\\.weight");
    private static final Pattern DEEPSEEK_EXPERT = Pattern.compile("mlp\\.experts\\.(\\d{1,9})\\.(gate|up|down)_proj\\.weight");

    private final String hfName;
    private final String arch;
    private final Map<String, Object> metadata;
    private final int blocks;
    private final int skippedBlocks;
    private final int experts;
    private final int heads;
    private final int kvHeads;
    private final float[] ropeFreqs;

    private HfArchitecture(String hfName, String arch, Map<String, Object> metadata, int blocks, int skippedBlocks,
            int experts, int heads, int kvHeads, float[] ropeFreqs) {
        this.hfName = hfName;
        this.arch = arch;
        this.metadata = metadata;
        this.blocks = blocks;
        this.skippedBlocks = skippedBlocks;
        this.experts = experts;
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.ropeFreqs = ropeFreqs;
    }

    /** The architecture of {@code config} (its first {@code architectures} entry) and its keys. */
    static HfArchitecture of(HfConfig config, String modelName) {
        var archs = config.node("architectures");
        if (archs == null || !archs.isArray() || archs.isEmpty() || !archs.get(0).isTextual()) {
            throw config.error("architectures", "expected an array naming the model class, such as [\"LlamaForCausalLM\"]");
        }
        String hfName = archs.get(0).textValue();
        String arch = switch (hfName) {
            case "LlamaForCausalLM", "MistralForCausalLM", "MixtralForCausalLM" -> "llama";
            case "Qwen2ForCausalLM" -> "qwen2";
            case "Qwen3ForCausalLM" -> "qwen3";
            case "DeepseekV2ForCausalLM", "DeepseekV3ForCausalLM" -> "deepseek2";
            default -> throw config.error("architectures", "'" + hfName + "' is not supported; supported: "
                    + "LlamaForCausalLM, MistralForCausalLM, MixtralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM, "
                    + "DeepseekV2ForCausalLM, DeepseekV3ForCausalLM");
        };
        Map<String, Object> m = new LinkedHashMap<>();
        String a = arch + ".";
        m.put("general.architecture", arch);
        m.put("general.name", modelName);
        m.put("general.source.architecture", hfName);
        long vocab = config.count("vocab_size");
        long hidden = config.count("hidden_size");
        long blocks = config.count("num_hidden_layers");
        long heads = config.count("num_attention_heads");
        long kvHeads = config.count("num_key_value_heads", heads);
        m.put(a + "vocab_size", vocab);
        m.put(a + "context_length", config.count("max_position_embeddings"));
        m.put(a + "embedding_length", hidden);
        m.put(a + "block_count", blocks);
        m.put(a + "feed_forward_length", config.count("intermediate_size"));
        m.put(a + "attention.head_count", heads);
        m.put(a + "attention.head_count_kv", kvHeads);
        m.put(a + "rope.freq_base", (float) config.number("rope_theta", 10000.0));
        m.put(a + "attention.layer_norm_rms_epsilon", (float) config.number("rms_norm_eps"));
        int experts = 0;
        int skipped = 0;
        float[] ropeFreqs = null;
        if (arch.equals("deepseek2")) {
            experts = deepseek(config, m, a);
            skipped = (int) config.nonNegative("num_nextn_predict_layers", 0);
        } else {
            long headDim = config.count("head_dim", hidden / heads);
            if (!config.has("head_dim") && hidden % heads != 0) {
                throw config.error("num_attention_heads", heads + " heads do not divide hidden_size " + hidden
                        + " and there is no head_dim");
            }
            m.put(a + "attention.key_length", headDim);
            m.put(a + "attention.value_length", headDim);
            m.put(a + "rope.dimension_count", headDim);
            if (config.has("num_local_experts")) {
                experts = (int) config.count("num_local_experts");
                m.put(a + "expert_count", (long) experts);
                m.put(a + "expert_used_count", config.count("num_experts_per_tok"));
            }
            ropeFreqs = ropeScaling(config, m, a, arch, (int) headDim);
        }
        return new HfArchitecture(hfName, arch, m, (int) blocks, skipped, experts, (int) heads, (int) kvHeads,
                ropeFreqs);
    }

    /** DeepSeek-V2/V3: MLA and DeepSeekMoE keys; returns the routed expert count. */
    private static int deepseek(HfConfig c, Map<String, Object> m, String a) {
        m.put(a + "leading_dense_block_count", c.nonNegative("first_k_dense_replace", 0));
        // null (V2-Lite) means uncompressed queries: say 0 rather than leave the key out, which
        // llama.cpp reads as "lite" only for V2-Lite's 27 layers
        m.put(a + "attention.q_lora_rank", c.has("q_lora_rank") ? c.count("q_lora_rank") : 0L);
        long kvLoraRank = c.count("kv_lora_rank");
        long nope = c.count("qk_nope_head_dim");
        long rope = c.count("qk_rope_head_dim");
        m.put(a + "attention.kv_lora_rank", kvLoraRank);
        // the attn_kv_b layout: heads of nope + rope keys and v_head_dim values
        m.put(a + "attention.key_length", nope + rope);
        m.put(a + "attention.value_length", c.count("v_head_dim"));
        m.put(a + "rope.dimension_count", rope);
        int experts = 0;
        if (c.has("n_routed_experts")) {
            experts = (int) c.count("n_routed_experts");
            m.put(a + "expert_feed_forward_length", c.count("moe_intermediate_size"));
            m.put(a + "expert_count", (long) experts);
            m.put(a + "expert_used_count", c.count("num_experts_per_tok"));
            m.put(a + "expert_shared_count", c.nonNegative("n_shared_experts", 0));
            m.put(a + "expert_weights_scale", (float) c.number("routed_scaling_factor", 1.0));
            m.put(a + "expert_weights_norm", c.bool("norm_topk_prob", false));
            String scoring = c.string("scoring_func").orElse("softmax");
            m.put(a + "expert_gating_func", switch (scoring) {
                case "softmax" -> 1L;
                case "sigmoid" -> 2L;
                default -> throw c.error("scoring_func", "'" + scoring + "' is not supported; expected softmax or sigmoid");
            });
            if (c.has("n_group")) {
                m.put(a + "expert_group_count", c.count("n_group"));
                m.put(a + "expert_group_used_count", c.count("topk_group"));
            }
        }
        Optional<HfConfig> scaling = c.object("rope_scaling");
        if (scaling.isPresent()) {
            HfConfig s = scaling.get();
            String type = s.string("type").or(() -> s.string("rope_type")).orElse("default");
            if (type.equals("yarn")) {
                m.put(a + "rope.scaling.type", "yarn");
                m.put(a + "rope.scaling.factor", (float) s.number("factor"));
                m.put(a + "rope.scaling.original_context_length", s.count("original_max_position_embeddings"));
                m.put(a + "rope.scaling.yarn_log_multiplier", (float) (0.1 * s.number("mscale_all_dim", 0)));
            } else if (!type.equals("default")) {
                throw s.error("type", "rope scaling '" + type + "' is not supported for DeepSeek; expected yarn");
            }
        }
        return experts;
    }

    /** Llama and Qwen rope scaling; Llama 3's becomes the {@code rope_freqs.weight} tensor, as the converter makes it. */
    private static float[] ropeScaling(HfConfig c, Map<String, Object> m, String a, String arch, int headDim) {
        Optional<HfConfig> scaling = c.object("rope_scaling");
        if (scaling.isEmpty()) {
            return null;
        }
        HfConfig s = scaling.get();
        String type = s.string("rope_type").or(() -> s.string("type")).orElse("default");
        switch (type) {
            case "default" -> {
                return null;
            }
            case "linear" -> {
                m.put(a + "rope.scaling.type", "linear");
                m.put(a + "rope.scaling.factor", (float) s.number("factor"));
                return null;
            }
            case "yarn" -> {
                m.put(a + "rope.scaling.type", "yarn");
                m.put(a + "rope.scaling.factor", (float) s.number("factor"));
                m.put(a + "rope.scaling.original_context_length", s.count("original_max_position_embeddings"));
                return null;
            }
            case "llama3" -> {
                if (!arch.equals("llama")) {
                    throw s.error("rope_type", "llama3 rope scaling on a " + arch + " model is not supported");
                }
                return llama3Divisors(s, headDim, (float) c.number("rope_theta", 10000.0));
            }
            default -> throw s.error("rope_type", "rope scaling '" + type
                    + "' is not supported; expected linear, yarn or llama3");
        }
    }

    /** One divisor per rotated pair, computed as the converter computes {@code rope_freqs}. */
    static float[] llama3Divisors(HfConfig s, int headDim, float base) {
        double factor = s.number("factor");
        double low = s.number("low_freq_factor");
        double high = s.number("high_freq_factor");
        long original = s.count("original_max_position_embeddings");
        if (!(factor >= 1) || !(low > 0) || !(high > low)) {
            throw s.error("factor", "expected factor >= 1 and 0 < low_freq_factor < high_freq_factor, found "
                    + factor + ", " + low + ", " + high);
        }
        double lowWavelen = original / low;
        double highWavelen = original / high;
        float[] divisors = new float[headDim / 2];
        for (int i = 0; i < divisors.length; i++) {
            float freq = (float) (1.0 / StrictMath.pow(base, (2.0 * i) / headDim));
            double wavelen = 2 * Math.PI / freq;
            if (wavelen < highWavelen) {
                divisors[i] = 1f;
            } else if (wavelen > lowWavelen) {
                divisors[i] = (float) factor;
            } else {
                double smooth = (original / wavelen - low) / (high - low);
                divisors[i] = (float) (1 / ((1 - smooth) / factor + smooth));
            }
        }
        return divisors;
    }

    String hfName() {
        return hfName;
    }

    String arch() {
        return arch;
    }

    /** The GGUF keys and values, in a stable order. */
    Map<String, Object> metadata() {
        return metadata;
    }

    /** Routed experts per MoE layer (0 for a dense model). */
    int experts() {
        return experts;
    }

    int heads() {
        return heads;
    }

    int kvHeads() {
        return kvHeads;
    }

    /** Llama 3's frequency divisors for {@code rope_freqs.weight}, or null. */
    float[] ropeFreqs() {
        return ropeFreqs == null ? null : ropeFreqs.clone();
    }

    /**
     * The GGUF name of an HF tensor, {@link #SKIP} for one the converter leaves out, or
     * empty when there is none.
     */
    Optional<Target> map(String name) {
        switch (name) {
            case "model.embed_tokens.weight":
                return target("token_embd.weight");
            case "model.norm.weight":
                return target("output_norm.weight");
            case "lm_head.weight":
                return target("output.weight");
            default:
                break;
        }
        Matcher layer = LAYER.matcher(name);
        if (!layer.matches()) {
            return Optional.empty();
        }
        int index = Integer.parseInt(layer.group(1));
        String rest = layer.group(2);
        if (index >= blocks) {
            // DeepSeek-V3 keeps its multi-token prediction layers after the last block
            return index < blocks + skippedBlocks ? Optional.of(SKIP) : Optional.empty();
        }
        String blk = "blk." + index + ".";
        if (rest.endsWith(".rotary_emb.inv_freq")) {
            return Optional.of(SKIP);
        }
        boolean llama = arch.equals("llama");
        String local = switch (rest) {
            case "input_layernorm.weight" -> "attn_norm.weight";
            case "post_attention_layernorm.weight" -> "ffn_norm.weight";
            case "self_attn.q_proj.weight" -> "attn_q.weight";
            case "self_attn.q_proj.bias" -> "attn_q.bias";
            case "self_attn.k_proj.weight" -> "attn_k.weight";
            case "self_attn.k_proj.bias" -> "attn_k.bias";
            case "self_attn.v_proj.weight" -> "attn_v.weight";
            case "self_attn.v_proj.bias" -> "attn_v.bias";
            case "self_attn.o_proj.weight" -> "attn_output.weight";
            case "self_attn.q_norm.weight" -> arch.equals("qwen3") ? "attn_q_norm.weight" : null;
            case "self_attn.k_norm.weight" -> arch.equals("qwen3") ? "attn_k_norm.weight" : null;
            case "mlp.gate_proj.weight" -> "ffn_gate.weight";
            case "mlp.up_proj.weight" -> "ffn_up.weight";
            case "mlp.down_proj.weight" -> "ffn_down.weight";
            case "block_sparse_moe.gate.weight" -> llama ? "ffn_gate_inp.weight" : null;
            default -> arch.equals("deepseek2") ? deepseekLocal(rest) : null;
        };
        if (local != null) {
            Transform t = !llama ? Transform.NONE
                    : local.startsWith("attn_q.") ? Transform.PERMUTE_Q
                    : local.startsWith("attn_k.") ? Transform.PERMUTE_K
                    : Transform.NONE;
            return Optional.of(new Target(blk + local, t, -1));
        }
        Matcher expert = (llama ? LLAMA_EXPERT : DEEPSEEK_EXPERT).matcher(rest);
        if (experts > 0 && expert.matches() && (llama || arch.equals("deepseek2"))) {
            String which = switch (expert.group(2)) {
                case "w1", "gate" -> "ffn_gate_exps";
                case "w2", "down" -> "ffn_down_exps";
                default -> "ffn_up_exps";
            };
            return Optional.of(new Target(blk + which + ".weight", Transform.NONE, Integer.parseInt(expert.group(1))));
        }
        return Optional.empty();
    }

    private static String deepseekLocal(String rest) {
        return switch (rest) {
            case "self_attn.q_a_proj.weight" -> "attn_q_a.weight";
            case "self_attn.q_a_layernorm.weight" -> "attn_q_a_norm.weight";
            case "self_attn.q_b_proj.weight" -> "attn_q_b.weight";
            case "self_attn.kv_a_proj_with_mqa.weight" -> "attn_kv_a_mqa.weight";
            case "self_attn.kv_a_layernorm.weight" -> "attn_kv_a_norm.weight";
            case "self_attn.kv_b_proj.weight" -> "attn_kv_b.weight";
            case "mlp.gate.weight" -> "ffn_gate_inp.weight";
            case "mlp.gate.e_score_correction_bias" -> "exp_probs_b.bias";
            case "mlp.shared_experts.gate_proj.weight" -> "ffn_gate_shexp.weight";
            case "mlp.shared_experts.up_proj.weight" -> "ffn_up_shexp.weight";
            case "mlp.shared_experts.down_proj.weight" -> "ffn_down_shexp.weight";
            default -> null;
        };
    }

    private static Optional<Target> target(String name) {
        return Optional.of(new Target(name, Transform.NONE, -1));
    }

    /** The GGUF row order of a Llama q or k matrix: {@code hf[result[i]]} becomes row {@code i}. */
    static int[] permutedRows(int rows, int headCount, String source, String tensor) {
        if (headCount < 1 || rows % headCount != 0 || (rows / headCount) % 2 != 0) {
            throw new ModelFormatException(source, tensor, rows + " rows do not split into " + headCount
                    + " heads of an even size, as the Llama q/k permutation needs");
        }
        int headDim = rows / headCount;
        int half = headDim / 2;
        int[] order = new int[rows];
        for (int h = 0; h < headCount; h++) {
            for (int j = 0; j < half; j++) {
                for (int s = 0; s < 2; s++) {
                    order[h * headDim + 2 * j + s] = h * headDim + s * half + j;
                }
            }
        }
        return order;
    }

    /** Names of the HF tensors this mapping knows, for messages. */
    static List<String> examples() {
        return List.of("model.embed_tokens.weight", "model.layers.N.self_attn.q_proj.weight", "lm_head.weight");
    }
}
