package dev.petrel.conformance;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.petrel.api.weights.TensorType;
import dev.petrel.loader.gguf.GgufValue;
import dev.petrel.quant.kernel.BF16Kernel;
import dev.petrel.quant.kernel.F8E4M3Kernel;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Writes a random model ({@code llama} with or without Mixtral's experts, {@code qwen2},
 * {@code qwen3}, {@code deepseek2} in the {@code attn_kv_b} layout) as the Hugging Face folder
 * its GGUF file was converted from: config.json, the weights in one or several safetensors
 * shards (with their index), tokenizer.json and tokenizer_config.json. Tensor names, shapes,
 * Llama's q/k row order and one matrix per expert are those of the HF checkpoint, so that
 * loading the folder exercises the same conversion llama.cpp's {@code convert_hf_to_gguf.py}
 * does. DeepSeek's rows are as the converter leaves them: q/k unpermuted (its rope pairs are
 * adjacent), {@code kv_b_proj} per head the key's nope part then the value part.
 *
 * <p>Alongside the folder it gives the GGUF <em>twin</em>: a {@link RandomModel} holding exactly
 * the values the folder holds. BF16 matrices are the model's BF16 values bit for bit; FP8
 * matrices are quantized with 128 × 128 block scales (in HF row order, as DeepSeek's are) and
 * the twin holds their exact dequantized values as F32 (routers stay BF16, as DeepSeek-V3's
 * {@code mlp.gate} does); 1-D tensors are F32, or BF16 with the twin holding the rounded values
 * as F32 (GGUF keeps norms in F32).
 */
public final class HfFolderWriter {

    /** Scale blocks of FP8 weights, as DeepSeek-V3 has them. */
    public static final int FP8_BLOCK = 128;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String LLAMA3_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String QWEN2_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * How to store the folder.
     *
     * @param matrices type of the layers' matrices: F32, BF16 or F8_E4M3 (the token embedding
     *     and the output matrix stay BF16 with F8_E4M3, as in DeepSeek-V3's checkpoint)
     * @param bf16Vectors true to store norms and biases in BF16, as most checkpoints do
     * @param shards number of safetensors files; 1 writes {@code model.safetensors} alone
     */
    public record Options(TensorType matrices, boolean bf16Vectors, int shards) {

        public Options {
            Objects.requireNonNull(matrices, "matrices");
            if (matrices != TensorType.F32 && matrices != TensorType.BF16 && matrices != TensorType.F8_E4M3) {
                throw new IllegalArgumentException("HF folders are written with F32, BF16 or F8_E4M3 matrices, not "
                        + matrices);
            }
            if (shards < 1) {
                throw new IllegalArgumentException("shards must be at least 1, found " + shards);
            }
        }
    }

    /** The folder written and the GGUF model with the same values. */
    public record Result(Path folder, RandomModel twin) {
    }

    private HfFolderWriter() {
    }

    /** One HF tensor: a whole GGUF tensor, or one expert's matrix of a stacked one. */
    private record Piece(RandomModel.Tensor source, int expert, String hfName, float[] values, long[] shape) {
    }

    /** Writes {@code model} into {@code folder} (created if needed). */
    public static Result write(RandomModel model, Path folder, Options options) throws IOException {
        Map<String, GgufValue> meta = model.metadata();
        String arch = (String) meta.get("general.architecture").value();
        if (!arch.equals("llama") && !arch.equals("qwen2") && !arch.equals("qwen3") && !arch.equals("deepseek2")) {
            throw new IllegalArgumentException("HF folders are written for llama (Mixtral too), qwen2, qwen3 and "
                    + "deepseek2, not " + arch);
        }
        if (model.tensors().containsKey("rope_freqs.weight")) {
            throw new IllegalArgumentException("rope_freqs.weight comes from rope_scaling parameters the model lacks");
        }
        if (meta.containsKey(arch + ".attention.key_length_mla")) {
            // HF checkpoints hold kv_b_proj whole, which is the attn_kv_b layout
            throw new IllegalArgumentException("a deepseek2 model for an HF folder needs the attn_kv_b layout, not "
                    + "attn_k_b/attn_v_b");
        }
        Files.createDirectories(folder);
        int heads = integer(meta, arch + ".attention.head_count");
        int kvHeads = integer(meta, arch + ".attention.head_count_kv");

        List<Piece> pieces = new ArrayList<>();
        for (RandomModel.Tensor t : model.tensors().values()) {
            long[] dims = t.dims();
            if (t.name().contains("_exps.")) {
                int experts = (int) dims[2];
                int perExpert = t.values().length / experts;
                for (int e = 0; e < experts; e++) {
                    float[] values = java.util.Arrays.copyOfRange(t.values(), e * perExpert, (e + 1) * perExpert);
                    pieces.add(new Piece(t, e, hfName(arch, t.name(), e), values, new long[] {dims[1], dims[0]}));
                }
                continue;
            }
            float[] values = t.values();
            if (arch.equals("llama") && (t.name().endsWith("attn_q.weight") || t.name().endsWith("attn_k.weight"))) {
                values = unpermute(values, t.rows(), t.rowLength(), t.name().endsWith("attn_q.weight") ? heads : kvHeads);
            }
            long[] shape = new long[dims.length];
            for (int i = 0; i < dims.length; i++) {
                shape[i] = dims[dims.length - 1 - i];
            }
            pieces.add(new Piece(t, -1, hfName(arch, t.name(), -1), values, shape));
        }

        RandomModel.Builder twin = RandomModel.builder(model.name() + "-hf-twin", 0);
        meta.forEach(twin::put);
        List<SafetensorsWriter> shards = new ArrayList<>();
        for (int i = 0; i < options.shards(); i++) {
            shards.add(new SafetensorsWriter().metadata("format", "pt"));
        }
        Map<String, String> weightMap = new LinkedHashMap<>();
        Map<String, float[]> stackedHeld = new LinkedHashMap<>();
        for (int index = 0; index < pieces.size(); index++) {
            Piece piece = pieces.get(index);
            RandomModel.Tensor t = piece.source();
            // experts spread over the shards too, as in real checkpoints
            int shard = index * options.shards() / pieces.size();
            String shardFile = shardName(shard, options.shards());
            SafetensorsWriter out = shards.get(shard);
            String hfName = piece.hfName();
            float[] values = piece.values();
            long[] dims = t.dims();
            weightMap.put(hfName, shardFile);
            if (dims.length == 1) {
                float[] held;
                if (options.bf16Vectors()) {
                    out.add(hfName, "BF16", piece.shape(), bf16(values));
                    held = bf16Values(values);
                } else {
                    out.add(hfName, "F32", piece.shape(), f32(values));
                    held = values;
                }
                twin.tensor(new RandomModel.Tensor(t.name(), dims, held, TensorType.F32));
                continue;
            }
            boolean outer = t.name().startsWith("token_embd") || t.name().startsWith("output.");
            // DeepSeek-V3 keeps its router (mlp.gate) in BF16 next to FP8 projections
            boolean router = t.name().endsWith("ffn_gate_inp.weight");
            TensorType type = options.matrices() == TensorType.F8_E4M3 && (outer || router) ? TensorType.BF16
                    : options.matrices();
            int rows = (int) piece.shape()[0];
            int columns = (int) piece.shape()[1];
            float[] twinValues;
            switch (type) {
                case F32 -> {
                    out.add(hfName, "F32", piece.shape(), f32(values));
                    twinValues = piece.expert() >= 0 ? values : t.values();
                }
                case BF16 -> {
                    out.add(hfName, "BF16", piece.shape(), bf16(values));
                    twinValues = piece.expert() >= 0 ? values : t.values();
                }
                default -> {
                    byte[] bytes = new byte[rows * columns];
                    float[] scales = F8E4M3Kernel.quantizeBlocks(values, 0, rows, columns, FP8_BLOCK, FP8_BLOCK,
                            MemorySegment.ofArray(bytes), 0);
                    out.add(hfName, "F8_E4M3", piece.shape(), bytes);
                    int across = Math.ceilDiv(columns, FP8_BLOCK);
                    out.add(hfName + "_scale_inv", "F32", new long[] {Math.ceilDiv(rows, FP8_BLOCK), across},
                            f32(scales));
                    weightMap.put(hfName + "_scale_inv", shardFile);
                    float[] exact = new float[values.length];
                    for (int r = 0; r < rows; r++) {
                        for (int c = 0; c < columns; c++) {
                            exact[r * columns + c] = F8E4M3Kernel.toFloat(bytes[r * columns + c])
                                    * scales[(r / FP8_BLOCK) * across + c / FP8_BLOCK];
                        }
                    }
                    if (arch.equals("llama") && (t.name().endsWith("attn_q.weight")
                            || t.name().endsWith("attn_k.weight"))) {
                        exact = permute(exact, rows, columns, t.name().endsWith("attn_q.weight") ? heads : kvHeads);
                    }
                    twinValues = exact;
                }
            }
            // the twin holds FP8 weights as their exact F32 values, the others in their own type
            TensorType twinType = type == TensorType.F8_E4M3 ? TensorType.F32 : type;
            if (piece.expert() < 0) {
                twin.tensor(new RandomModel.Tensor(t.name(), dims, twinValues, twinType));
                continue;
            }
            float[] all = stackedHeld.computeIfAbsent(t.name(), k -> new float[t.values().length]);
            System.arraycopy(twinValues, 0, all, piece.expert() * twinValues.length, twinValues.length);
            if (piece.expert() == dims[2] - 1) {
                twin.tensor(new RandomModel.Tensor(t.name(), dims, all, twinType));
            }
        }
        for (int i = 0; i < shards.size(); i++) {
            shards.get(i).write(folder.resolve(shardName(i, options.shards())));
        }
        if (options.shards() > 1) {
            ObjectNode indexJson = JSON.createObjectNode();
            indexJson.putObject("metadata").put("total_size", 0);
            ObjectNode map = indexJson.putObject("weight_map");
            weightMap.forEach(map::put);
            JSON.writerWithDefaultPrettyPrinter().writeValue(folder.resolve("model.safetensors.index.json").toFile(),
                    indexJson);
        }
        ObjectNode config = arch.equals("deepseek2") ? deepseekConfig(model, options) : config(model, arch, options);
        JSON.writerWithDefaultPrettyPrinter().writeValue(folder.resolve("config.json").toFile(), config);
        if (config.has("rope_scaling")) {
            // the converter writes 0.1 * mscale_all_dim as config.json holds it
            twin.putFloat32("deepseek2.rope.scaling.yarn_log_multiplier",
                    (float) (0.1 * config.get("rope_scaling").get("mscale_all_dim").doubleValue()));
        }
        writeTokenizer(model, arch, folder);
        return new Result(folder, twin.build());
    }

    private static String shardName(int shard, int shards) {
        return shards == 1 ? "model.safetensors"
                : String.format("model-%05d-of-%05d.safetensors", shard + 1, shards);
    }

    /**
     * The HF name of a GGUF tensor of llama (Mixtral included), qwen2, qwen3 or deepseek2;
     * {@code expert} picks one expert's matrix of a stacked {@code *_exps} tensor.
     */
    static String hfName(String arch, String gguf, int expert) {
        switch (gguf) {
            case "token_embd.weight":
                return "model.embed_tokens.weight";
            case "output_norm.weight":
                return "model.norm.weight";
            case "output.weight":
                return "lm_head.weight";
            default:
                break;
        }
        if (!gguf.startsWith("blk.")) {
            throw new IllegalArgumentException("no HF name for " + gguf);
        }
        int dot = gguf.indexOf('.', 4);
        String layer = gguf.substring(4, dot);
        String rest = gguf.substring(dot + 1);
        boolean deepseek = arch.equals("deepseek2");
        String hf = switch (rest) {
            case "attn_norm.weight" -> "input_layernorm.weight";
            case "ffn_norm.weight" -> "post_attention_layernorm.weight";
            case "attn_q.weight" -> "self_attn.q_proj.weight";
            case "attn_k.weight" -> "self_attn.k_proj.weight";
            case "attn_v.weight" -> "self_attn.v_proj.weight";
            case "attn_q.bias" -> "self_attn.q_proj.bias";
            case "attn_k.bias" -> "self_attn.k_proj.bias";
            case "attn_v.bias" -> "self_attn.v_proj.bias";
            case "attn_output.weight" -> "self_attn.o_proj.weight";
            case "attn_q_norm.weight" -> "self_attn.q_norm.weight";
            case "attn_k_norm.weight" -> "self_attn.k_norm.weight";
            case "ffn_gate.weight" -> "mlp.gate_proj.weight";
            case "ffn_up.weight" -> "mlp.up_proj.weight";
            case "ffn_down.weight" -> "mlp.down_proj.weight";
            case "attn_q_a.weight" -> "self_attn.q_a_proj.weight";
            case "attn_q_a_norm.weight" -> "self_attn.q_a_layernorm.weight";
            case "attn_q_b.weight" -> "self_attn.q_b_proj.weight";
            case "attn_kv_a_mqa.weight" -> "self_attn.kv_a_proj_with_mqa.weight";
            case "attn_kv_a_norm.weight" -> "self_attn.kv_a_layernorm.weight";
            case "attn_kv_b.weight" -> "self_attn.kv_b_proj.weight";
            case "ffn_gate_inp.weight" -> deepseek ? "mlp.gate.weight" : "block_sparse_moe.gate.weight";
            case "exp_probs_b.bias" -> "mlp.gate.e_score_correction_bias";
            case "ffn_gate_shexp.weight" -> "mlp.shared_experts.gate_proj.weight";
            case "ffn_up_shexp.weight" -> "mlp.shared_experts.up_proj.weight";
            case "ffn_down_shexp.weight" -> "mlp.shared_experts.down_proj.weight";
            case "ffn_gate_exps.weight" -> deepseek ? "mlp.experts." + expert + ".gate_proj.weight"
                    : "block_sparse_moe.experts." + expert + ".w1.weight";
            case "ffn_up_exps.weight" -> deepseek ? "mlp.experts." + expert + ".up_proj.weight"
                    : "block_sparse_moe.experts." + expert + ".w3.weight";
            case "ffn_down_exps.weight" -> deepseek ? "mlp.experts." + expert + ".down_proj.weight"
                    : "block_sparse_moe.experts." + expert + ".w2.weight";
            default -> throw new IllegalArgumentException("no HF name for " + gguf);
        };
        return "model.layers." + layer + "." + hf;
    }

    /**
     * GGUF's row order of a Llama q/k matrix from the HF one: within each head, the first
     * half of the rows and the second half interleave (llama.cpp's {@code permute}).
     */
    static float[] permute(float[] hf, int rows, int columns, int heads) {
        float[] out = new float[hf.length];
        int headDim = rows / heads;
        int half = headDim / 2;
        for (int h = 0; h < heads; h++) {
            for (int j = 0; j < half; j++) {
                for (int s = 0; s < 2; s++) {
                    System.arraycopy(hf, (h * headDim + s * half + j) * columns, out, (h * headDim + 2 * j + s) * columns,
                            columns);
                }
            }
        }
        return out;
    }

    /** The inverse of {@link #permute}: the HF row order of GGUF q/k rows. */
    static float[] unpermute(float[] gguf, int rows, int columns, int heads) {
        float[] out = new float[gguf.length];
        int headDim = rows / heads;
        int half = headDim / 2;
        for (int h = 0; h < heads; h++) {
            for (int j = 0; j < half; j++) {
                for (int s = 0; s < 2; s++) {
                    System.arraycopy(gguf, (h * headDim + 2 * j + s) * columns, out, (h * headDim + s * half + j) * columns,
                            columns);
                }
            }
        }
        return out;
    }

    private static byte[] f32(float[] values) {
        byte[] out = new byte[values.length * 4];
        MemorySegment.copy(values, 0, MemorySegment.ofArray(out), F32_LE, 0, values.length);
        return out;
    }

    private static byte[] bf16(float[] values) {
        byte[] out = new byte[values.length * 2];
        MemorySegment s = MemorySegment.ofArray(out);
        for (int i = 0; i < values.length; i++) {
            s.set(SHORT_LE, 2L * i, BF16Kernel.fromFloat(values[i]));
        }
        return out;
    }

    private static float[] bf16Values(float[] values) {
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = BF16Kernel.toFloat(BF16Kernel.fromFloat(values[i]));
        }
        return out;
    }

    private static int integer(Map<String, GgufValue> meta, String key) {
        GgufValue v = meta.get(key);
        if (v == null) {
            throw new IllegalArgumentException("the model has no " + key);
        }
        return ((Number) v.value()).intValue();
    }

    private static double number(Map<String, GgufValue> meta, String key) {
        return ((Number) meta.get(key).value()).doubleValue();
    }

    private static ObjectNode config(RandomModel model, String arch, Options options) {
        Map<String, GgufValue> meta = model.metadata();
        String a = arch + ".";
        boolean mixtral = meta.containsKey(a + "expert_count");
        ObjectNode c = JSON.createObjectNode();
        c.putArray("architectures").add(switch (arch) {
            case "llama" -> mixtral ? "MixtralForCausalLM" : "LlamaForCausalLM";
            case "qwen2" -> "Qwen2ForCausalLM";
            default -> "Qwen3ForCausalLM";
        });
        c.put("model_type", mixtral ? "mixtral" : arch);
        c.put("vocab_size", integer(meta, a + "vocab_size"));
        c.put("hidden_size", integer(meta, a + "embedding_length"));
        c.put("intermediate_size", integer(meta, a + "feed_forward_length"));
        c.put("num_hidden_layers", integer(meta, a + "block_count"));
        c.put("num_attention_heads", integer(meta, a + "attention.head_count"));
        c.put("num_key_value_heads", integer(meta, a + "attention.head_count_kv"));
        c.put("head_dim", integer(meta, a + "attention.key_length"));
        c.put("max_position_embeddings", integer(meta, a + "context_length"));
        c.put("rope_theta", number(meta, a + "rope.freq_base"));
        c.put("rms_norm_eps", number(meta, a + "attention.layer_norm_rms_epsilon"));
        if (mixtral) {
            c.put("num_local_experts", integer(meta, a + "expert_count"));
            c.put("num_experts_per_tok", integer(meta, a + "expert_used_count"));
        }
        common(c, model, options);
        return c;
    }

    /** DeepSeek-V2 (softmax routing) or DeepSeek-V3 (sigmoid) config.json of a deepseek2 model in the attn_kv_b layout. */
    private static ObjectNode deepseekConfig(RandomModel model, Options options) {
        Map<String, GgufValue> meta = model.metadata();
        String a = "deepseek2.";
        boolean moe = meta.containsKey(a + "expert_count");
        boolean v3 = moe && integer(meta, a + "expert_gating_func") == 2;
        ObjectNode c = JSON.createObjectNode();
        c.putArray("architectures").add(v3 ? "DeepseekV3ForCausalLM" : "DeepseekV2ForCausalLM");
        c.put("model_type", v3 ? "deepseek_v3" : "deepseek_v2");
        c.put("vocab_size", integer(meta, a + "vocab_size"));
        c.put("hidden_size", integer(meta, a + "embedding_length"));
        c.put("intermediate_size", integer(meta, a + "feed_forward_length"));
        c.put("num_hidden_layers", integer(meta, a + "block_count"));
        int heads = integer(meta, a + "attention.head_count");
        c.put("num_attention_heads", heads);
        c.put("num_key_value_heads", heads);
        c.put("max_position_embeddings", integer(meta, a + "context_length"));
        c.put("rope_theta", number(meta, a + "rope.freq_base"));
        c.put("rms_norm_eps", number(meta, a + "attention.layer_norm_rms_epsilon"));
        int qLoraRank = integer(meta, a + "attention.q_lora_rank");
        if (qLoraRank > 0) {
            c.put("q_lora_rank", qLoraRank);
        } else {
            c.putNull("q_lora_rank"); // DeepSeek-V2-Lite's: no q compression
        }
        c.put("kv_lora_rank", integer(meta, a + "attention.kv_lora_rank"));
        int rope = integer(meta, a + "rope.dimension_count");
        c.put("qk_nope_head_dim", integer(meta, a + "attention.key_length") - rope);
        c.put("qk_rope_head_dim", rope);
        c.put("v_head_dim", integer(meta, a + "attention.value_length"));
        c.put("first_k_dense_replace", integer(meta, a + "leading_dense_block_count"));
        if (moe) {
            c.put("moe_intermediate_size", integer(meta, a + "expert_feed_forward_length"));
            c.put("n_routed_experts", integer(meta, a + "expert_count"));
            c.put("num_experts_per_tok", integer(meta, a + "expert_used_count"));
            c.put("n_shared_experts", integer(meta, a + "expert_shared_count"));
            c.put("routed_scaling_factor", number(meta, a + "expert_weights_scale"));
            c.put("norm_topk_prob", (Boolean) meta.get(a + "expert_weights_norm").value());
            c.put("scoring_func", v3 ? "sigmoid" : "softmax");
            c.put("topk_method", v3 ? "noaux_tc" : "greedy");
            // real V2 configs say 1 group of which 1 is used when there is no group limit
            c.put("n_group", meta.containsKey(a + "expert_group_count") ? integer(meta, a + "expert_group_count") : 1);
            c.put("topk_group", meta.containsKey(a + "expert_group_used_count")
                    ? integer(meta, a + "expert_group_used_count") : 1);
        }
        if (meta.containsKey(a + "rope.scaling.type")) {
            ObjectNode y = c.putObject("rope_scaling");
            y.put("type", "yarn");
            y.put("factor", number(meta, a + "rope.scaling.factor"));
            y.put("original_max_position_embeddings", integer(meta, a + "rope.scaling.original_context_length"));
            y.put("beta_fast", 32);
            y.put("beta_slow", 1);
            double mscaleAllDim = Math.round(number(meta, a + "rope.scaling.yarn_log_multiplier") * 10 * 1e6) / 1e6;
            y.put("mscale", mscaleAllDim);
            y.put("mscale_all_dim", mscaleAllDim);
        }
        common(c, model, options);
        return c;
    }

    private static void common(ObjectNode c, RandomModel model, Options options) {
        c.put("tie_word_embeddings", !model.tensors().containsKey("output.weight"));
        c.put("hidden_act", "silu");
        c.put("torch_dtype", options.matrices() == TensorType.F32 ? "float32" : "bfloat16");
        if (options.matrices() == TensorType.F8_E4M3) {
            ObjectNode q = c.putObject("quantization_config");
            q.put("quant_method", "fp8");
            q.put("fmt", "e4m3");
            q.put("activation_scheme", "dynamic");
            q.putArray("weight_block_size").add(FP8_BLOCK).add(FP8_BLOCK);
        }
    }

    /** tokenizer.json (byte-level BPE, GPT-2 pre-tokenizer) and tokenizer_config.json from the model's vocabulary. */
    private static void writeTokenizer(RandomModel model, String arch, Path folder) throws IOException {
        Map<String, GgufValue> meta = model.metadata();
        @SuppressWarnings("unchecked")
        List<String> tokens = (List<String>) meta.get("tokenizer.ggml.tokens").value();
        @SuppressWarnings("unchecked")
        List<String> merges = (List<String>) meta.get("tokenizer.ggml.merges").value();
        int[] types = (int[]) meta.get("tokenizer.ggml.token_type").value();
        ObjectNode t = JSON.createObjectNode();
        t.put("version", "1.0");
        ArrayNode added = t.putArray("added_tokens");
        ObjectNode vocab = JSON.createObjectNode();
        for (int id = 0; id < tokens.size(); id++) {
            if (types[id] == ByteLevelVocab.CONTROL) {
                ObjectNode a = added.addObject();
                a.put("id", id);
                a.put("content", tokens.get(id));
                a.put("single_word", false);
                a.put("lstrip", false);
                a.put("rstrip", false);
                a.put("normalized", false);
                a.put("special", true);
            } else {
                vocab.put(tokens.get(id), id);
            }
        }
        t.putNull("normalizer");
        // the split of Llama 3's and Qwen2's tokenizer.json, then the byte-level mapping
        ObjectNode pre = t.putObject("pre_tokenizer");
        pre.put("type", "Sequence");
        ArrayNode steps = pre.putArray("pretokenizers");
        ObjectNode split = steps.addObject();
        split.put("type", "Split");
        split.putObject("pattern").put("Regex", arch.equals("llama") ? LLAMA3_SPLIT : QWEN2_SPLIT);
        split.put("behavior", "Isolated");
        split.put("invert", false);
        ObjectNode byteLevel = steps.addObject();
        byteLevel.put("type", "ByteLevel");
        byteLevel.put("add_prefix_space", false);
        byteLevel.put("trim_offsets", false);
        byteLevel.put("use_regex", false);
        t.putNull("post_processor");
        ObjectNode decoder = t.putObject("decoder");
        decoder.put("type", "ByteLevel");
        decoder.put("add_prefix_space", true);
        decoder.put("trim_offsets", true);
        decoder.put("use_regex", true);
        ObjectNode m = t.putObject("model");
        m.put("type", "BPE");
        m.putNull("dropout");
        m.putNull("unk_token");
        m.put("fuse_unk", false);
        m.put("byte_fallback", false);
        m.put("ignore_merges", false);
        m.set("vocab", vocab);
        ArrayNode mergeList = m.putArray("merges");
        merges.forEach(mergeList::add);
        JSON.writeValue(folder.resolve("tokenizer.json").toFile(), t);

        ObjectNode config = JSON.createObjectNode();
        int bos = integer(meta, "tokenizer.ggml.bos_token_id");
        int eos = integer(meta, "tokenizer.ggml.eos_token_id");
        boolean addBos = meta.containsKey("tokenizer.ggml.add_bos_token")
                && (Boolean) meta.get("tokenizer.ggml.add_bos_token").value();
        config.put("bos_token", tokens.get(bos));
        config.put("eos_token", tokens.get(eos));
        config.put("add_bos_token", addBos);
        config.put("add_eos_token", false);
        config.put("model_max_length", integer(meta, arch + ".context_length"));
        JSON.writerWithDefaultPrettyPrinter().writeValue(folder.resolve("tokenizer_config.json").toFile(), config);
    }
}
