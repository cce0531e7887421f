package dev.petrel.engine.arch;

import dev.petrel.api.attention.AttentionConfig;
import dev.petrel.api.attention.AttentionStrategy;
import dev.petrel.api.engine.ForwardPass;
import dev.petrel.api.engine.LoadOptions;
import dev.petrel.api.engine.ModelArchitecture;
import dev.petrel.api.engine.ModelConfig;
import dev.petrel.api.experts.Experts;
import dev.petrel.api.experts.FeedForward;
import dev.petrel.api.experts.MoeConfig;
import dev.petrel.api.kernel.KernelBackend;
import dev.petrel.api.kernel.RopeParams;
import dev.petrel.api.weights.Metadata;
import dev.petrel.api.weights.WeightSource;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Set;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The {@code deepseek2} architecture (DeepSeek-V2, V2-Lite, V2.5, V3, R1 and their GGUF
 * relatives): multi-head latent attention with an optional compressed query, DeepSeekMoE
 * after {@code leading_dense_block_count} dense layers, hyperparameters read as llama.cpp
 * reads them.
 *
 * <p>MLA layout: files with both {@code attention.key_length_mla} and
 * {@code attention.value_length_mla} carry the split {@code attn_k_b}/{@code attn_v_b} (then
 * {@code key_length}/{@code value_length} describe the latent cache, as MQA); older files carry
 * {@code attn_kv_b} and give the per-head lengths in {@code key_length}/{@code value_length}.
 * By default the attention strategy is the one llama.cpp computes for the file's layout:
 * {@code mla-absorbed} for the split layout, {@code mla-naive} for {@code attn_kv_b}. On a
 * quantized {@code attn_kv_b} file the absorbed form rounds other activations than the naive
 * one and, through the MoE router, can choose other experts than llama.cpp does, so it is only
 * used when {@link LoadOptions#attention()} asks for it (it decodes without decompressing every
 * cached position). Both keep the same latent cache; the layout the chosen strategy needs is
 * derived at load when the file has the other one.
 *
 * <p>RoPE pairs adjacent elements. Under YaRN the logit scale is {@code mscale^2 / sqrt(dk)}
 * with {@code mscale = 1 + 0.1 * mscale_all_dim * ln(factor)}, {@code mscale_all_dim} being
 * {@code rope.scaling.yarn_log_multiplier / 0.1}, and rope's magnitude factor is cancelled as
 * llama.cpp cancels it ({@link #ropeAndScale}).
 */
@Component(service = ModelArchitecture.class, property = ModelArchitecture.ARCH + "=" + DeepSeek2Architecture.NAME)
public final class DeepSeek2Architecture implements ModelArchitecture {

    public static final String NAME = "deepseek2";
    static final String NAIVE = "mla-naive";
    static final String ABSORBED = "mla-absorbed";

    /** Layer counts llama.cpp treats as "lite" (no q compression, q_lora_rank not read). */
    private static final Set<Integer> LITE_LAYERS = Set.of(26, 27);

    private final AttentionStrategy naive;
    private final AttentionStrategy absorbed;
    private final FeedForward feedForward;
    private final Experts experts;

    @Activate
    public DeepSeek2Architecture(
            @Reference(name = "naive", target = "(attention=" + NAIVE + ")") AttentionStrategy naive,
            @Reference(name = "absorbed", target = "(attention=" + ABSORBED + ")") AttentionStrategy absorbed,
            @Reference(name = "feedForward") FeedForward feedForward,
            @Reference(name = "experts") Experts experts) {
        this.naive = Objects.requireNonNull(naive, "naive");
        this.absorbed = Objects.requireNonNull(absorbed, "absorbed");
        this.feedForward = Objects.requireNonNull(feedForward, "feedForward");
        this.experts = Objects.requireNonNull(experts, "experts");
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public ModelConfig config(Metadata metadata) {
        ArchKeys keys = new ArchKeys(metadata, NAME);
        int embedding = keys.count("embedding_length");
        int blocks = keys.count("block_count");
        int context = keys.count("context_length");
        int heads = keys.count("attention.head_count");
        int vocab = keys.vocabularySize();
        float eps = keys.positive("attention.layer_norm_rms_epsilon");

        int kvRank = keys.count("attention.kv_lora_rank");
        int qRank = queryRank(keys, blocks, vocab);
        int ropeLength = keys.count("rope.dimension_count");
        if (ropeLength % 2 != 0) {
            throw keys.error("rope.dimension_count", "expected an even qk_rope_head_dim, found " + ropeLength);
        }
        boolean split = splitLayout(keys);
        int keyLength;
        int valueLength;
        if (split) {
            keyLength = keys.count("attention.key_length_mla");
            valueLength = keys.count("attention.value_length_mla");
            // key_length/value_length then describe the latent cache rows; they must agree with the ranks.
            expectIfPresent(keys, "attention.key_length", kvRank + ropeLength, "attention.kv_lora_rank + "
                    + keys.key("rope.dimension_count"));
            expectIfPresent(keys, "attention.value_length", kvRank, "attention.kv_lora_rank");
        } else {
            int headLength = embedding / heads;
            keyLength = keys.count("attention.key_length", headLength);
            valueLength = keys.count("attention.value_length", headLength);
        }
        if (keyLength <= ropeLength) {
            throw keys.error(split ? "attention.key_length_mla" : "attention.key_length", "the per-head key length "
                    + keyLength + " must exceed " + keys.key("rope.dimension_count") + " = " + ropeLength
                    + " (qk_nope_head_dim = key length - rope length)");
        }
        RopeAndScale rope = ropeAndScale(keys, ropeLength, context, keyLength);
        AttentionConfig attention = new AttentionConfig(embedding, heads, heads, keyLength, valueLength, rope.scale(),
                eps, rope.params(), new AttentionConfig.Mla(qRank, kvRank, keyLength - ropeLength, ropeLength));

        MoeConfig moe = moeConfig(metadata, keys, blocks);
        boolean anyDense = moe == null || moe.leadingDenseBlockCount() > 0;
        int feedForwardLength = anyDense ? keys.count("feed_forward_length") : keys.count("feed_forward_length", 0);
        return new ModelConfig(NAME, modelName(metadata), vocab, context, embedding, blocks, feedForwardLength, eps,
                attention, moe);
    }

    @Override
    public ForwardPass load(WeightSource source, ModelConfig config, LoadOptions options, KernelBackend backend) {
        if (!config.architecture().equals(NAME)) {
            throw new IllegalArgumentException("a " + config.architecture() + " config given to " + NAME);
        }
        boolean split = splitLayout(new ArchKeys(source.metadata(), NAME));
        AttentionStrategy strategy = strategy(options.attention(), split);
        return DeepSeek2Decoder.place(source, config, split, strategy, feedForward, experts, backend);
    }

    /** The requested strategy; by default the form llama.cpp computes for the layout. */
    AttentionStrategy strategy(String requested, boolean splitLayout) {
        if (requested == null) {
            return splitLayout ? absorbed : naive;
        }
        if (requested.equals(ABSORBED)) {
            return absorbed;
        }
        if (requested.equals(NAIVE)) {
            return naive;
        }
        throw new IllegalArgumentException(NAME + " models use attention '" + ABSORBED + "' or '" + NAIVE
                + "', not '" + requested + "'");
    }

    /** As llama.cpp decides it: the split layout needs both per-head MLA lengths. */
    static boolean splitLayout(ArchKeys keys) {
        return keys.has("attention.key_length_mla") && keys.has("attention.value_length_mla");
    }

    /**
     * {@code attention.q_lora_rank}, 0 meaning queries are not compressed. llama.cpp does not
     * read it for the "lite" layer counts (V2-Lite and its relatives), which have no q
     * compression, and requires it otherwise.
     */
    private static int queryRank(ArchKeys keys, int blocks, int vocab) {
        String suffix = "attention.q_lora_rank";
        if (!keys.has(suffix)) {
            if (LITE_LAYERS.contains(blocks) || (blocks == 48 && vocab == 128256)) {
                return 0;
            }
            throw keys.error(suffix, "required key is missing (0 means queries are not compressed)");
        }
        long value = keys.metadata().integer(keys.key(suffix));
        if (value < 0 || value > Integer.MAX_VALUE) {
            throw keys.error(suffix, "expected a rank from 0 to " + Integer.MAX_VALUE + ", found " + value);
        }
        return (int) value;
    }

    private static void expectIfPresent(ArchKeys keys, String suffix, int expected, String what) {
        if (keys.has(suffix) && keys.count(suffix) != expected) {
            throw keys.error(suffix, "with the split MLA layout it must equal " + keys.key(what) + " = " + expected
                    + ", found " + keys.count(suffix));
        }
    }

    /**
     * The experts, or null for a dense model (then every layer must be one of the leading
     * dense blocks, as llama.cpp requires experts past them).
     */
    private static MoeConfig moeConfig(Metadata metadata, ArchKeys keys, int blocks) {
        MoeKeys moe = new MoeKeys(metadata, NAME);
        if (!moe.present()) {
            int dense = keys.has("leading_dense_block_count")
                    ? (int) Math.min(Integer.MAX_VALUE, metadata.integer(keys.key("leading_dense_block_count"))) : 0;
            if (dense < blocks) {
                throw keys.error("expert_count", "missing or 0, but " + keys.key("leading_dense_block_count") + " = "
                        + dense + " leaves " + (blocks - dense) + " of " + blocks + " layers needing experts");
            }
            return null;
        }
        // Whether the router has exp_probs_b is known from the tensors; the decoder sets it at load.
        return moe.full(false);
    }

    /** RoPE parameters and the attention logit scale. */
    record RopeAndScale(RopeParams params, float scale) {
    }

    /**
     * llama.cpp's reading of the rope keys for deepseek2: {@code rope.freq_base} (10000),
     * {@code rope.scaling.type} ({@code linear} when absent; {@code yarn} turns on YaRN's ramp
     * with betas 32 and 1), {@code rope.scaling.factor} (or {@code rope.scale_linear}),
     * {@code rope.scaling.original_context_length} (else the trained context),
     * {@code rope.scaling.attn_factor} and {@code rope.scaling.yarn_log_multiplier}.
     *
     * <p>Under YaRN the context computes an attention factor, {@code get_mscale(F, m) /
     * get_mscale(F, L)} (1 whenever a log multiplier {@code L} is given, since deepseek2 then
     * takes {@code m = L}; else {@code get_mscale(F, 1)}), divides it by rope's own YaRN
     * magnitude {@code 1 + 0.1 ln F} and multiplies it by {@code attn_factor}; rope gets that
     * factor (and multiplies by {@code 1 + 0.1 ln F} again). The graph undoes the division
     * to scale the logits by {@code (factor * (1 + 0.1 ln F) * (1 + 0.1 L ln F))^2 / sqrt(dk)}.
     * The same float operations are kept here so the scale is llama.cpp's to the last bit.
     */
    static RopeAndScale ropeAndScale(ArchKeys keys, int dimensions, int trainedContext, int keyLength) {
        float base = keys.positive("rope.freq_base", 10000f);
        String type = keys.metadata().optionalString(keys.key("rope.scaling.type")).orElse("linear");
        float factor = 1f;
        String factorKey = keys.has("rope.scaling.factor") ? "rope.scaling.factor" : "rope.scale_linear";
        if (keys.has(factorKey)) {
            float value = (float) keys.metadata().number(keys.key(factorKey));
            if (value != 0) {   // llama.cpp reads 0 as "no scaling"
                if (!(value > 0) || !Float.isFinite(value)) {
                    throw keys.error(factorKey, "expected a positive factor, found " + value);
                }
                factor = value;
            }
        }
        float freqScale = switch (type) {
            case "none" -> 1f;
            case "linear", "yarn" -> 1f / factor;
            default -> throw keys.error("rope.scaling.type", "unknown scaling '" + type
                    + "'; known for deepseek2: none, linear, yarn");
        };
        boolean yarn = type.equals("yarn");
        float logMultiplier = 0f;
        if (keys.has("rope.scaling.yarn_log_multiplier")) {
            // The converter stores 0.1 * mscale_all_dim.
            logMultiplier = (float) keys.metadata().number(keys.key("rope.scaling.yarn_log_multiplier")) / 0.1f;
        }
        float ropeAttnFactor = (float) keys.metadata().number(keys.key("rope.scaling.attn_factor"), 1.0);
        if (!(ropeAttnFactor > 0) || !Float.isFinite(ropeAttnFactor)) {
            throw keys.error("rope.scaling.attn_factor", "expected a positive number, found " + ropeAttnFactor);
        }

        float attnFactor = 1f;
        if (yarn) {
            float f = 1f / freqScale;
            if (logMultiplier != 0f) {
                float mscale = logMultiplier != 1f ? logMultiplier : 1f;
                attnFactor = mscale(f, mscale) / mscale(f, logMultiplier);
            } else {
                attnFactor = mscale(f, 1f);
            }
            attnFactor *= 1f / (1f + 0.1f * (float) Math.log(f));
        }
        attnFactor *= ropeAttnFactor;

        int originalContext = yarn ? keys.count("rope.scaling.original_context_length", trainedContext) : 0;
        RopeParams params = new RopeParams(RopeParams.Mode.NORMAL, dimensions, base, freqScale, originalContext,
                yarn ? 1f : 0f, attnFactor, 32f, 1f);

        float original = attnFactor * (1f + 0.1f * (float) Math.log(1f / freqScale));
        float mscale = original * (1f + 0.1f * logMultiplier * (float) Math.log(1f / freqScale));
        float scale = 1f * mscale * mscale / (float) Math.sqrt((float) keyLength);
        return new RopeAndScale(params, scale);
    }

    /** YaRN's magnitude correction {@code 0.1 m ln(s) + 1}, 1 when not extending. */
    private static float mscale(float scale, float m) {
        return scale <= 1f ? 1f : 0.1f * m * (float) Math.log(scale) + 1f;
    }

    private static String modelName(Metadata metadata) {
        return metadata.optionalString("general.name").orElseGet(() -> {
            try {
                Path file = Path.of(metadata.source()).getFileName();
                return file == null ? metadata.source() : file.toString();
            } catch (RuntimeException e) {
                return metadata.source();
            }
        });
    }
}
