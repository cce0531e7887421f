package dev.petrel.engine;

import dev.petrel.api.weights.TensorType;
import dev.petrel.loader.gguf.GgufValueType;
import dev.petrel.loader.gguf.GgufWriter;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * A small decoder with random weights (N(0, 1/sqrt(fan_in)), as the conformance models use),
 * written as GGUF. Its tensors stay available as floats for the reference forward pass, and
 * tests may change tensors or metadata before writing to make a broken file.
 *
 * <p>The vocabulary is byte-level BPE: the 256 byte tokens, one merge ("ab"), BOS and EOS.
 */
final class TinyModel {

    static final int VOCAB = 259;
    static final int BOS = 257;
    static final int EOS = 258;

    /** A tensor as written: its type, dims (contiguous first) and values (null: zero bytes). */
    record Weight(TensorType type, long[] dims, float[] values) {
    }

    final String arch;
    final int embd;
    final int heads;
    final int kvHeads;
    final int keyLength;
    final int ff;
    final int blocks;
    final int context;
    final float eps = 1e-5f;
    final float ropeBase = 10000f;
    final Map<String, Weight> tensors = new LinkedHashMap<>();
    private final List<Consumer<GgufWriter>> metadataChanges = new ArrayList<>();
    private final SplittableRandom random;

    private TinyModel(String arch, int embd, int heads, int kvHeads, int keyLength, int ff, int blocks, int context,
            long seed) {
        this.arch = arch;
        this.embd = embd;
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.keyLength = keyLength;
        this.ff = ff;
        this.blocks = blocks;
        this.context = context;
        this.random = new SplittableRandom(seed);
    }

    /** llama: n_embd 64, 4 heads over 2 key/value heads of 16, FFN 96, 2 blocks, separate output. */
    static TinyModel llama() {
        TinyModel m = new TinyModel("llama", 64, 4, 2, 16, 96, 2, 64, 1);
        m.addCommon(false);
        return m;
    }

    /** qwen2: as {@link #llama()} with q/k/v biases, output tied to the embedding. */
    static TinyModel qwen2() {
        TinyModel m = new TinyModel("qwen2", 64, 4, 1, 16, 80, 2, 64, 2);
        m.addCommon(true);
        for (int i = 0; i < m.blocks; i++) {
            m.vector("blk." + i + ".attn_q.bias", m.heads * m.keyLength, 0, 0.2f);
            m.vector("blk." + i + ".attn_k.bias", m.kvHeads * m.keyLength, 0, 0.2f);
            m.vector("blk." + i + ".attn_v.bias", m.kvHeads * m.keyLength, 0, 0.2f);
        }
        return m;
    }

    /** qwen3: head length 32 given by key_length (not n_embd / H), per-head q/k norms. */
    static TinyModel qwen3() {
        TinyModel m = new TinyModel("qwen3", 64, 4, 2, 32, 96, 2, 64, 3);
        m.addCommon(false);
        for (int i = 0; i < m.blocks; i++) {
            m.vector("blk." + i + ".attn_q_norm.weight", m.keyLength, 1, 0.2f);
            m.vector("blk." + i + ".attn_k_norm.weight", m.keyLength, 1, 0.2f);
        }
        return m;
    }

    /**
     * llama with Mixtral's experts: 4 experts of FFN 96, 2 used per token, in place of each
     * block's dense FFN ({@code ffn_gate_inp} and the stacked {@code ffn_*_exps}).
     */
    static TinyModel mixtral() {
        TinyModel m = new TinyModel("llama", 64, 4, 2, 16, 96, 2, 64, 4);
        m.addCommon(false);
        for (int i = 0; i < m.blocks; i++) {
            String p = "blk." + i + ".";
            m.tensors.remove(p + "ffn_gate.weight");
            m.tensors.remove(p + "ffn_up.weight");
            m.tensors.remove(p + "ffn_down.weight");
            m.matrix(p + "ffn_gate_inp.weight", m.embd, 4, 1 / (float) Math.sqrt(m.embd));
            m.stacked(p + "ffn_gate_exps.weight", m.embd, m.ff, 4, 1 / (float) Math.sqrt(m.embd));
            m.stacked(p + "ffn_up_exps.weight", m.embd, m.ff, 4, 1 / (float) Math.sqrt(m.embd));
            m.stacked(p + "ffn_down_exps.weight", m.ff, m.embd, 4, 1 / (float) Math.sqrt(m.ff));
        }
        return m.meta(w -> {
            w.putUint32("llama.expert_count", 4);
            w.putUint32("llama.expert_used_count", 2);
        });
    }

    /** Adds Llama 3 style rope frequency factors ({@code rope_freqs.weight}). */
    TinyModel withRopeFreqs() {
        float[] factors = new float[keyLength / 2];
        for (int i = 0; i < factors.length; i++) {
            factors[i] = 1 + i * 0.5f;
        }
        tensors.put("rope_freqs.weight", new Weight(TensorType.F32, new long[] {factors.length}, factors));
        return this;
    }

    /** Changes the metadata before it is written (after the standard keys). */
    TinyModel meta(Consumer<GgufWriter> change) {
        metadataChanges.add(change);
        return this;
    }

    boolean tied() {
        return !tensors.containsKey("output.weight");
    }

    float[] weight(String name) {
        Weight w = tensors.get(name);
        return w == null ? null : w.values();
    }

    Path write(Path dir) throws IOException {
        return write(dir, arch + ".gguf");
    }

    Path write(Path dir, String fileName) throws IOException {
        GgufWriter w = GgufWriter.create(dir.resolve(fileName));
        w.put("general.architecture", arch);
        w.put("general.name", "tiny " + arch);
        w.putUint32(arch + ".context_length", context);
        w.putUint32(arch + ".embedding_length", embd);
        w.putUint32(arch + ".block_count", blocks);
        w.putUint32(arch + ".feed_forward_length", ff);
        w.putUint32(arch + ".attention.head_count", heads);
        w.putUint32(arch + ".attention.head_count_kv", kvHeads);
        if (keyLength != embd / heads) {
            w.putUint32(arch + ".attention.key_length", keyLength);
            w.putUint32(arch + ".attention.value_length", keyLength);
        }
        w.putFloat32(arch + ".attention.layer_norm_rms_epsilon", eps);
        w.putFloat32(arch + ".rope.freq_base", ropeBase);
        tokenizer(w);
        metadataChanges.forEach(c -> c.accept(w));
        for (Map.Entry<String, Weight> e : tensors.entrySet()) {
            Weight t = e.getValue();
            w.addTensor(e.getKey(), t.type(), t.dims(), encode(t));
        }
        return w.write();
    }

    // ---- building ---------------------------------------------------------------------------

    private void addCommon(boolean tied) {
        int q = heads * keyLength;
        int kv = kvHeads * keyLength;
        matrix("token_embd.weight", embd, VOCAB, 1f);
        for (int i = 0; i < blocks; i++) {
            String p = "blk." + i + ".";
            vector(p + "attn_norm.weight", embd, 1, 0.2f);
            matrix(p + "attn_q.weight", embd, q, 1 / (float) Math.sqrt(embd));
            matrix(p + "attn_k.weight", embd, kv, 1 / (float) Math.sqrt(embd));
            matrix(p + "attn_v.weight", embd, kv, 1 / (float) Math.sqrt(embd));
            matrix(p + "attn_output.weight", q, embd, 1 / (float) Math.sqrt(q));
            vector(p + "ffn_norm.weight", embd, 1, 0.2f);
            matrix(p + "ffn_gate.weight", embd, ff, 1 / (float) Math.sqrt(embd));
            matrix(p + "ffn_up.weight", embd, ff, 1 / (float) Math.sqrt(embd));
            matrix(p + "ffn_down.weight", ff, embd, 1 / (float) Math.sqrt(ff));
        }
        vector("output_norm.weight", embd, 1, 0.2f);
        if (!tied) {
            matrix("output.weight", embd, VOCAB, 1 / (float) Math.sqrt(embd));
        }
    }

    void matrix(String name, int in, int out, float std) {
        float[] v = new float[in * out];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (gaussian() * std);
        }
        tensors.put(name, new Weight(TensorType.F32, new long[] {in, out}, v));
    }

    /** {@code count} matrices {@code {in, out}} stacked as {@code {in, out, count}}. */
    void stacked(String name, int in, int out, int count, float std) {
        float[] v = new float[in * out * count];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (gaussian() * std);
        }
        tensors.put(name, new Weight(TensorType.F32, new long[] {in, out, count}, v));
    }

    void vector(String name, int n, float mean, float std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (mean + gaussian() * std);
        }
        tensors.put(name, new Weight(TensorType.F32, new long[] {n}, v));
    }

    private double gaussian() {
        double u = 1 - random.nextDouble();
        double v = random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }

    private static MemorySegment encode(Weight t) {
        ValueLayout.OfShort f16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        ValueLayout.OfFloat f32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        float[] v = t.values();
        if (v == null) {
            // raw zero blocks of any type, for files the engine must refuse
            long rows = java.util.Arrays.stream(t.dims()).reduce(1, Math::multiplyExact) / t.dims()[0];
            return MemorySegment.ofArray(new byte[Math.toIntExact(t.type().rowBytes(t.dims()[0]) * rows)]);
        }
        return switch (t.type()) {
            case F32 -> {
                MemorySegment s = MemorySegment.ofArray(new byte[v.length * 4]);
                MemorySegment.copy(v, 0, s, f32, 0, v.length);
                yield s;
            }
            case F16 -> {
                MemorySegment s = MemorySegment.ofArray(new byte[v.length * 2]);
                for (int i = 0; i < v.length; i++) {
                    s.setAtIndex(f16, i, Float.floatToFloat16(v[i]));
                }
                yield s;
            }
            default -> throw new IllegalArgumentException("TinyModel writes F32 and F16 only: " + t.type());
        };
    }

    /** Byte-level BPE over the GPT-2 byte alphabet, one merge, BOS and EOS as control tokens. */
    private static void tokenizer(GgufWriter w) {
        List<String> tokens = new ArrayList<>();
        for (int b = 0; b < 256; b++) {
            tokens.add(String.valueOf(byteSymbol(b)));
        }
        tokens.add("ab");
        tokens.add("<|bos|>");
        tokens.add("<|eos|>");
        int[] types = new int[tokens.size()];
        java.util.Arrays.fill(types, 1);
        types[BOS] = 3;
        types[EOS] = 3;
        w.put("tokenizer.ggml.model", "gpt2");
        w.put("tokenizer.ggml.pre", "gpt-2");
        w.putStrings("tokenizer.ggml.tokens", tokens);
        w.putArray("tokenizer.ggml.token_type", GgufValueType.INT32, types);
        w.putStrings("tokenizer.ggml.merges", List.of("a b"));
        w.putUint32("tokenizer.ggml.bos_token_id", BOS);
        w.putUint32("tokenizer.ggml.eos_token_id", EOS);
    }

    /** GPT-2's printable stand-in for a byte: printable Latin-1 bytes stand for themselves. */
    static char byteSymbol(int b) {
        if ((b >= '!' && b <= '~') || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff)) {
            return (char) b;
        }
        int shifted = 0;
        for (int c = 0; c < b; c++) {
            if (!((c >= '!' && c <= '~') || (c >= 0xa1 && c <= 0xac) || (c >= 0xae && c <= 0xff))) {
                shifted++;
            }
        }
        return (char) (256 + shifted);
    }
}
