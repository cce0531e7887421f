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
 * Writes a random model ({@code llama}, {@code qwen2}, {@code qwen3}) as the Hugging Face
 * folder its GGUF file was converted from: config.json, the weights in one or several
 * safetensors shards (with their index), tokenizer.json and tokenizer_config.json. Tensor
 * names, shapes and Llama's q/k row order are those of the HF checkpoint, so that loading the
 * folder exercises the same conversion llama.cpp's {@code convert_hf_to_gguf.py} does.
 *
 * <p>Alongside the folder it gives the GGUF <em>twin</em>: a {@link RandomModel} holding exactly
 * the values the folder holds. BF16 matrices are the model's BF16 values bit for bit; FP8
 * matrices are quantized with 128 × 128 block scales (in HF row order, as DeepSeek's are) and
 * the twin holds their exact dequantized values as F32; 1-D tensors are F32, or BF16 with the
 * twin holding the rounded values as F32 (GGUF keeps norms in F32).
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

    /** Writes {@code model} into {@code folder} (created if needed). */
    public static Result write(RandomModel model, Path folder, Options options) throws IOException {
        Map<String, GgufValue> meta = model.metadata();
        String arch = (String) meta.get("general.architecture").value();
        if (!arch.equals("llama") && !arch.equals("qwen2") && !arch.equals("qwen3")) {
            throw new IllegalArgumentException("HF folders are written for llama, qwen2 and qwen3, not " + arch);
        }
        if (model.tensors().containsKey("rope_freqs.weight")) {
            throw new IllegalArgumentException("rope_freqs.weight comes from rope_scaling parameters the model lacks");
        }
        Files.createDirectories(folder);
        int heads = integer(meta, arch + ".attention.head_count");
        int kvHeads = integer(meta, arch + ".attention.head_count_kv");

        RandomModel.Builder twin = RandomModel.builder(model.name() + "-hf-twin", 0);
        meta.forEach(twin::put);
        List<SafetensorsWriter> shards = new ArrayList<>();
        for (int i = 0; i < options.shards(); i++) {
            shards.add(new SafetensorsWriter().metadata("format", "pt"));
        }
        Map<String, String> weightMap = new LinkedHashMap<>();
        int index = 0;
        for (RandomModel.Tensor t : model.tensors().values()) {
            String hfName = hfName(t.name());
            int shard = index++ * options.shards() / model.tensors().size();
            String shardFile = shardName(shard, options.shards());
            float[] values = t.values();
            long[] dims = t.dims();
            if (arch.equals("llama") && (t.name().endsWith("attn_q.weight") || t.name().endsWith("attn_k.weight"))) {
                values = unpermute(values, t.rows(), t.rowLength(), t.name().endsWith("attn_q.weight") ? heads : kvHeads);
            }
            long[] shape = new long[dims.length];
            for (int i = 0; i < dims.length; i++) {
                shape[i] = dims[dims.length - 1 - i];
            }
            float[] held;
            if (dims.length == 1) {
                if (options.bf16Vectors()) {
                    shards.get(shard).add(hfName, "BF16", shape, bf16(values));
                    held = bf16Values(values);
                } else {
                    shards.get(shard).add(hfName, "F32", shape, f32(values));
                    held = values;
                }
                twin.tensor(new RandomModel.Tensor(t.name(), dims, held, TensorType.F32));
            } else {
                boolean outer = t.name().startsWith("token_embd") || t.name().startsWith("output.");
                TensorType type = options.matrices() == TensorType.F8_E4M3 && outer ? TensorType.BF16 : options.matrices();
                switch (type) {
                    case F32 -> {
                        shards.get(shard).add(hfName, "F32", shape, f32(values));
                        twin.tensor(new RandomModel.Tensor(t.name(), dims, t.values(), TensorType.F32));
                    }
                    case BF16 -> {
                        shards.get(shard).add(hfName, "BF16", shape, bf16(values));
                        twin.tensor(new RandomModel.Tensor(t.name(), dims, t.values(), TensorType.BF16));
                    }
                    default -> {
                        int rows = t.rows();
                        int columns = t.rowLength();
                        byte[] bytes = new byte[rows * columns];
                        float[] scales = F8E4M3Kernel.quantizeBlocks(values, 0, rows, columns, FP8_BLOCK, FP8_BLOCK,
                                MemorySegment.ofArray(bytes), 0);
                        shards.get(shard).add(hfName, "F8_E4M3", shape, bytes);
                        int across = Math.ceilDiv(columns, FP8_BLOCK);
                        shards.get(shard).add(hfName + "_scale_inv", "F32",
                                new long[] {Math.ceilDiv(rows, FP8_BLOCK), across}, f32(scales));
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
                        twin.tensor(new RandomModel.Tensor(t.name(), dims, exact, TensorType.F32));
                    }
                }
            }
            weightMap.put(hfName, shardFile);
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
        writeConfig(model, arch, options, folder);
        writeTokenizer(model, arch, folder);
        return new Result(folder, twin.build());
    }

    private static String shardName(int shard, int shards) {
        return shards == 1 ? "model.safetensors"
                : String.format("model-%05d-of-%05d.safetensors", shard + 1, shards);
    }

    /** The HF name of a GGUF tensor of llama, qwen2 or qwen3. */
    static String hfName(String gguf) {
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

    private static void writeConfig(RandomModel model, String arch, Options options, Path folder) throws IOException {
        Map<String, GgufValue> meta = model.metadata();
        String a = arch + ".";
        ObjectNode c = JSON.createObjectNode();
        c.putArray("architectures").add(switch (arch) {
            case "llama" -> "LlamaForCausalLM";
            case "qwen2" -> "Qwen2ForCausalLM";
            default -> "Qwen3ForCausalLM";
        });
        c.put("model_type", arch);
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
        JSON.writerWithDefaultPrettyPrinter().writeValue(folder.resolve("config.json").toFile(), c);
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
