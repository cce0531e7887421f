package dev.petrel.conformance;

import dev.petrel.api.weights.TensorType;
import java.util.Objects;

/**
 * The shape, types and seed of a random-weight model for {@link RandomModels}.
 *
 * <p>Start from {@link #of(Arch)} (a small model that llama.cpp evaluates in milliseconds) and
 * change what a test is about with the {@code with...} methods:
 *
 * <pre>{@code
 * ModelSpec spec = ModelSpec.of(Arch.QWEN2).withShape(512, 2, 8, 2, 64, 1024).withVocab(1001).untied();
 * }</pre>
 *
 * @param arch architecture, written as {@code general.architecture}
 * @param vocabSize tokens in the vocabulary (odd sizes welcome), at least {@link #MIN_VOCAB}
 * @param dim model width ({@code embedding_length})
 * @param layers transformer blocks ({@code block_count})
 * @param heads query heads ({@code attention.head_count})
 * @param kvHeads key/value heads ({@code attention.head_count_kv}); divides {@code heads}
 * @param headDim dimension of one head ({@code attention.key_length} = {@code value_length} =
 *     {@code rope.dimension_count}); even
 * @param ffnDim hidden width of the SwiGLU feed-forward ({@code feed_forward_length})
 * @param tiedEmbeddings true to leave out {@code output.weight}, so the output projection is
 *     {@code token_embd.weight}
 * @param weightType type of every matrix (F32, F16, BF16, Q8_0, Q4_0); norms, biases and
 *     {@code rope_freqs} stay F32, as llama.cpp's converters leave them
 * @param seed seed of every random value; the same spec gives the same file, byte for byte
 * @param contextLength {@code context_length} (the training context)
 * @param ropeFreqBase {@code rope.freq_base}
 * @param rmsEps {@code attention.layer_norm_rms_epsilon}
 * @param ropeScaling Llama 3 rope scaling (llama only), or null for none
 * @param experts mixture-of-experts feed-forward in every block instead of the dense one, or
 *     null for a dense model; with experts qwen2 is written as {@code qwen2moe} (a shared
 *     expert with a sigmoid gate), qwen3 as {@code qwen3moe}, llama stays {@code llama}
 *     (Mixtral)
 */
public record ModelSpec(
        Arch arch,
        int vocabSize,
        int dim,
        int layers,
        int heads,
        int kvHeads,
        int headDim,
        int ffnDim,
        boolean tiedEmbeddings,
        TensorType weightType,
        long seed,
        int contextLength,
        float ropeFreqBase,
        float rmsEps,
        Llama3RopeScaling ropeScaling,
        Experts experts) {

    /**
     * The experts of every block.
     *
     * @param count routed experts ({@code expert_count})
     * @param used experts per token ({@code expert_used_count})
     * @param ffnDim hidden width of one routed expert ({@code expert_feed_forward_length}; llama
     *     sizes its experts by {@code feed_forward_length}, so for llama it must equal the
     *     spec's {@code ffnDim})
     * @param sharedFfnDim hidden width of qwen2moe's shared expert
     *     ({@code expert_shared_feed_forward_length}); 0 for the other families, which have none
     */
    public record Experts(int count, int used, int ffnDim, int sharedFfnDim) {
        public Experts {
            if (count < 2 || used < 1 || used > count || ffnDim < 1 || sharedFfnDim < 0) {
                throw new IllegalArgumentException("experts: need 1 <= used <= count, count >= 2, ffnDim >= 1, "
                        + "sharedFfnDim >= 0; found count " + count + ", used " + used + ", ffnDim " + ffnDim
                        + ", sharedFfnDim " + sharedFfnDim);
            }
        }
    }

    /** The smallest vocabulary: 256 byte tokens plus the special tokens. */
    public static final int MIN_VOCAB = 260;

    /**
     * Llama 3 rope scaling, as Hugging Face's {@code rope_scaling} of type {@code llama3}
     * describes it. llama.cpp's converter turns it into the {@code rope_freqs.weight} tensor
     * (one divisor per rotated pair) and writes no scaling keys; so does {@link RandomModels}.
     */
    public record Llama3RopeScaling(float factor, float lowFreqFactor, float highFreqFactor, int originalContextLength) {

        public Llama3RopeScaling {
            if (!(factor >= 1f) || !(lowFreqFactor > 0f) || !(highFreqFactor > lowFreqFactor) || originalContextLength < 1) {
                throw new IllegalArgumentException("Llama 3 rope scaling needs factor >= 1, 0 < low < high frequency"
                        + " factors and an original context, found " + factor + ", " + lowFreqFactor + ", "
                        + highFreqFactor + ", " + originalContextLength);
            }
        }

        /** Llama 3.1's values: factor 8, low 1, high 4, original context 8192. */
        public static Llama3RopeScaling llama31() {
            return new Llama3RopeScaling(8f, 1f, 4f, 8192);
        }

        /**
         * The divisor of each rotation frequency, for pairs {@code i = 0 .. headDim/2 - 1}
         * with base frequencies {@code base^(-2i/headDim)}: 1 for short wavelengths,
         * {@code factor} for long ones, a smooth blend in between.
         */
        public float[] frequencyDivisors(int headDim, float base) {
            float[] divisors = new float[headDim / 2];
            double lowFreqWavelen = originalContextLength / (double) lowFreqFactor;
            double highFreqWavelen = originalContextLength / (double) highFreqFactor;
            for (int i = 0; i < divisors.length; i++) {
                // the converter computes the frequencies in float32
                float freq = (float) (1.0 / StrictMath.pow(base, (2.0 * i) / headDim));
                double wavelen = 2 * Math.PI / freq;
                if (wavelen < highFreqWavelen) {
                    divisors[i] = 1f;
                } else if (wavelen > lowFreqWavelen) {
                    divisors[i] = factor;
                } else {
                    double smooth = (originalContextLength / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                    divisors[i] = (float) (1 / ((1 - smooth) / factor + smooth));
                }
            }
            return divisors;
        }
    }

    public ModelSpec {
        Objects.requireNonNull(arch, "arch");
        Objects.requireNonNull(weightType, "weightType");
        positive("vocabSize", vocabSize);
        positive("dim", dim);
        positive("layers", layers);
        positive("heads", heads);
        positive("kvHeads", kvHeads);
        positive("headDim", headDim);
        positive("ffnDim", ffnDim);
        positive("contextLength", contextLength);
        if (vocabSize < MIN_VOCAB) {
            throw new IllegalArgumentException("vocabSize " + vocabSize + " is below " + MIN_VOCAB
                    + " (256 byte tokens and the special tokens)");
        }
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException("heads " + heads + " is not a multiple of kvHeads " + kvHeads);
        }
        if (headDim % 2 != 0) {
            throw new IllegalArgumentException("headDim " + headDim + " must be even (RoPE rotates pairs)");
        }
        if (arch.squareAttention() && heads * headDim != dim) {
            throw new IllegalArgumentException(arch.ggufName() + " needs heads × headDim == dim, found " + heads + " × "
                    + headDim + " != " + dim);
        }
        if (ropeScaling != null && arch != Arch.LLAMA) {
            throw new IllegalArgumentException("Llama 3 rope scaling is a llama feature, not " + arch.ggufName());
        }
        if (experts != null) {
            if (arch == Arch.LLAMA && experts.ffnDim() != ffnDim) {
                throw new IllegalArgumentException("llama sizes its experts by feed_forward_length: experts.ffnDim "
                        + experts.ffnDim() + " must equal ffnDim " + ffnDim);
            }
            if ((arch == Arch.QWEN2) != (experts.sharedFfnDim() > 0)) {
                throw new IllegalArgumentException("qwen2moe, and only qwen2moe, has a shared expert: "
                        + arch.ggufName() + " with sharedFfnDim " + experts.sharedFfnDim());
            }
        }
        switch (weightType) {
            case F32, F16, BF16 -> { }
            case Q8_0, Q4_0 -> {
                int expertFfn = experts == null ? ffnDim : experts.ffnDim();
                int sharedFfn = experts == null || experts.sharedFfnDim() == 0 ? ffnDim : experts.sharedFfnDim();
                for (int rowLength : new int[] {dim, heads * headDim, ffnDim, expertFfn, sharedFfn}) {
                    if (rowLength % weightType.blockSize() != 0) {
                        throw new IllegalArgumentException(weightType + " stores rows in blocks of " + weightType.blockSize()
                                + ": dim, heads × headDim and the FFN widths must be multiples, found " + rowLength);
                    }
                }
            }
            default -> throw new IllegalArgumentException("no random models with " + weightType
                    + " weights; use F32, F16, BF16, Q8_0 or Q4_0");
        }
        if (!(ropeFreqBase > 0f) || !(rmsEps > 0f)) {
            throw new IllegalArgumentException("ropeFreqBase and rmsEps must be positive");
        }
    }

    private static void positive(String name, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be at least 1, found " + value);
        }
    }

    /**
     * A small model of {@code arch}: vocabulary 515, width 256, 2 layers, 4 query heads of 64
     * over 2 key/value heads (GQA 2:1), feed-forward 512, separate output matrix, F32, seed 1.
     */
    public static ModelSpec of(Arch arch) {
        return new ModelSpec(arch, 515, 256, 2, 4, 2, 64, 512, false, TensorType.F32, 1L, 4096,
                arch.defaultRopeBase(), arch.defaultRmsEps(), null, null);
    }

    /** A short name for file names and test reports, e.g. {@code qwen2-v515-d256-l2-h4x2x64-f512-untied-F32-s1}. */
    public String name() {
        return ggufArch() + "-v" + vocabSize + "-d" + dim + "-l" + layers + "-h" + heads + "x" + kvHeads + "x" + headDim
                + "-f" + ffnDim + (tiedEmbeddings ? "-tied" : "-untied") + "-" + weightType
                + (ropeScaling != null ? "-rope3" : "")
                + (experts != null ? "-e" + experts.count() + "x" + experts.used() + "x" + experts.ffnDim()
                        + (experts.sharedFfnDim() > 0 ? "-sh" + experts.sharedFfnDim() : "") : "")
                + "-s" + seed;
    }

    /** Query width: {@code heads × headDim}. */
    public int qDim() {
        return heads * headDim;
    }

    /** Key/value width: {@code kvHeads × headDim}. */
    public int kvDim() {
        return kvHeads * headDim;
    }

    public ModelSpec withArch(Arch value) {
        return new ModelSpec(value, vocabSize, dim, layers, heads, kvHeads, headDim, ffnDim, tiedEmbeddings, weightType,
                seed, contextLength, value.defaultRopeBase(), value.defaultRmsEps(), value == Arch.LLAMA ? ropeScaling : null, experts);
    }

    public ModelSpec withVocab(int value) {
        return new ModelSpec(arch, value, dim, layers, heads, kvHeads, headDim, ffnDim, tiedEmbeddings, weightType, seed,
                contextLength, ropeFreqBase, rmsEps, ropeScaling, experts);
    }

    /** Width, layers, query heads, key/value heads, head dimension and feed-forward width at once. */
    public ModelSpec withShape(int dimValue, int layersValue, int headsValue, int kvHeadsValue, int headDimValue,
            int ffnDimValue) {
        return new ModelSpec(arch, vocabSize, dimValue, layersValue, headsValue, kvHeadsValue, headDimValue, ffnDimValue,
                tiedEmbeddings, weightType, seed, contextLength, ropeFreqBase, rmsEps, ropeScaling, experts);
    }

    /** Output projection shared with the token embeddings (no {@code output.weight}). */
    public ModelSpec tied() {
        return withTied(true);
    }

    /** A separate {@code output.weight}. */
    public ModelSpec untied() {
        return withTied(false);
    }

    public ModelSpec withTied(boolean value) {
        return new ModelSpec(arch, vocabSize, dim, layers, heads, kvHeads, headDim, ffnDim, value, weightType, seed,
                contextLength, ropeFreqBase, rmsEps, ropeScaling, experts);
    }

    public ModelSpec withType(TensorType value) {
        return new ModelSpec(arch, vocabSize, dim, layers, heads, kvHeads, headDim, ffnDim, tiedEmbeddings, value, seed,
                contextLength, ropeFreqBase, rmsEps, ropeScaling, experts);
    }

    public ModelSpec withSeed(long value) {
        return new ModelSpec(arch, vocabSize, dim, layers, heads, kvHeads, headDim, ffnDim, tiedEmbeddings, weightType,
                value, contextLength, ropeFreqBase, rmsEps, ropeScaling, experts);
    }

    public ModelSpec withContextLength(int value) {
        return new ModelSpec(arch, vocabSize, dim, layers, heads, kvHeads, headDim, ffnDim, tiedEmbeddings, weightType,
                seed, value, ropeFreqBase, rmsEps, ropeScaling, experts);
    }

    public ModelSpec withRopeFreqBase(float value) {
        return new ModelSpec(arch, vocabSize, dim, layers, heads, kvHeads, headDim, ffnDim, tiedEmbeddings, weightType,
                seed, contextLength, value, rmsEps, ropeScaling, experts);
    }

    public ModelSpec withRmsEps(float value) {
        return new ModelSpec(arch, vocabSize, dim, layers, heads, kvHeads, headDim, ffnDim, tiedEmbeddings, weightType,
                seed, contextLength, ropeFreqBase, value, ropeScaling, experts);
    }

    /** Llama 3 rope scaling (llama only); null removes it. */
    public ModelSpec withRopeScaling(Llama3RopeScaling value) {
        return new ModelSpec(arch, vocabSize, dim, layers, heads, kvHeads, headDim, ffnDim, tiedEmbeddings, weightType,
                seed, contextLength, ropeFreqBase, rmsEps, value, experts);
    }

    /** Experts in every block instead of the dense feed-forward; null makes the model dense again. */
    public ModelSpec withExperts(Experts value) {
        return new ModelSpec(arch, vocabSize, dim, layers, heads, kvHeads, headDim, ffnDim, tiedEmbeddings, weightType,
                seed, contextLength, ropeFreqBase, rmsEps, ropeScaling, value);
    }

    /** {@code general.architecture}: the family's name, or its MoE sibling's (qwen2moe, qwen3moe) with experts. */
    public String ggufArch() {
        return experts == null || arch == Arch.LLAMA ? arch.ggufName() : arch.ggufName() + "moe";
    }
}
