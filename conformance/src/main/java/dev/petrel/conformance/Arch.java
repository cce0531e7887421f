package dev.petrel.conformance;

/**
 * The architectures {@link RandomModels} writes, as llama.cpp names them in
 * {@code general.architecture}, with what sets their files apart.
 */
public enum Arch {
    /** Llama 1/2/3: adjacent-pair RoPE, optional Llama 3 rope scaling as a {@code rope_freqs} tensor. */
    LLAMA("llama", false, false, false, "llama-bpe", 10000f, 1e-5f),
    /** Qwen2 / Qwen2.5: q/k/v biases, NeoX RoPE; attention width must equal the model width. */
    QWEN2("qwen2", true, false, true, "qwen2", 1000000f, 1e-6f),
    /** Qwen3: RMS norms on q and k per head, NeoX RoPE, no biases. */
    QWEN3("qwen3", false, true, false, "qwen2", 1000000f, 1e-6f);

    private final String ggufName;
    private final boolean qkvBias;
    private final boolean qkNorm;
    private final boolean squareAttention;
    private final String preTokenizer;
    private final float defaultRopeBase;
    private final float defaultRmsEps;

    Arch(String ggufName, boolean qkvBias, boolean qkNorm, boolean squareAttention, String preTokenizer,
            float defaultRopeBase, float defaultRmsEps) {
        this.ggufName = ggufName;
        this.qkvBias = qkvBias;
        this.qkNorm = qkNorm;
        this.squareAttention = squareAttention;
        this.preTokenizer = preTokenizer;
        this.defaultRopeBase = defaultRopeBase;
        this.defaultRmsEps = defaultRmsEps;
    }

    /** The value of {@code general.architecture} and the prefix of the model's keys. */
    public String ggufName() {
        return ggufName;
    }

    /** Whether the layers carry {@code attn_q.bias}, {@code attn_k.bias}, {@code attn_v.bias}. */
    public boolean qkvBias() {
        return qkvBias;
    }

    /** Whether the layers carry {@code attn_q_norm} and {@code attn_k_norm} (one weight per head dimension). */
    public boolean qkNorm() {
        return qkNorm;
    }

    /**
     * Whether llama.cpp requires {@code heads × head_dim == embedding_length} (qwen2 sizes
     * {@code attn_q} and {@code attn_output} by the model width).
     */
    public boolean squareAttention() {
        return squareAttention;
    }

    /** The {@code tokenizer.ggml.pre} value written for this architecture. */
    public String preTokenizer() {
        return preTokenizer;
    }

    /** {@code rope.freq_base} when the spec does not set one (the family's usual value). */
    public float defaultRopeBase() {
        return defaultRopeBase;
    }

    /** {@code attention.layer_norm_rms_epsilon} when the spec does not set one. */
    public float defaultRmsEps() {
        return defaultRmsEps;
    }

    /** The architecture named {@code name} in GGUF ({@code llama}, {@code qwen2}, {@code qwen3}). */
    public static Arch fromGguf(String name) {
        for (Arch arch : values()) {
            if (arch.ggufName.equals(name)) {
                return arch;
            }
        }
        throw new IllegalArgumentException("no random models for architecture '" + name + "'");
    }
}
