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
import dev.petrel.api.kernel.MoeRouting;
import dev.petrel.api.kernel.KernelBackend;
import dev.petrel.api.kernel.RopeParams;
import dev.petrel.api.weights.Metadata;
import dev.petrel.api.weights.WeightSource;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The decoder families (llama, qwen2, qwen3, and with experts llama/Mixtral, qwen2moe,
 * qwen3moe): hyperparameters from the same {@code {arch}.*} keys, the forward pass of
 * {@link DenseDecoder}; a subclass names its architecture and its {@link DecoderVariant}.
 */
public abstract class DecoderArchitecture implements ModelArchitecture {

    private final String name;
    private final DecoderVariant variant;
    private final AttentionStrategy attention;
    private final FeedForward feedForward;
    private final Experts experts;   // null for the families without experts

    protected DecoderArchitecture(String name, DecoderVariant variant, AttentionStrategy attention,
            FeedForward feedForward) {
        this(name, variant, attention, feedForward, null);
    }

    protected DecoderArchitecture(String name, DecoderVariant variant, AttentionStrategy attention,
            FeedForward feedForward, Experts experts) {
        this.name = name;
        this.variant = variant;
        this.attention = Objects.requireNonNull(attention, "attention");
        this.feedForward = Objects.requireNonNull(feedForward, "feedForward");
        if (variant.moe() != null) {
            Objects.requireNonNull(experts, "experts");
        }
        this.experts = experts;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public ModelConfig config(Metadata metadata) {
        ArchKeys keys = new ArchKeys(metadata, name);
        int embedding = keys.count("embedding_length");
        int blocks = keys.count("block_count");
        int feedForwardLength = keys.count("feed_forward_length");
        MoeConfig moe = moe(keys, feedForwardLength);
        int context = keys.count("context_length");
        int heads = keys.count("attention.head_count");
        int kvHeads = keys.count("attention.head_count_kv", heads);
        if (heads % kvHeads != 0) {
            throw keys.error("attention.head_count_kv", kvHeads + " key/value heads do not divide "
                    + keys.key("attention.head_count") + " = " + heads);
        }
        int headLength = embedding / heads;
        if (embedding % heads != 0 && !(keys.has("attention.key_length") && keys.has("attention.value_length"))) {
            throw keys.error("attention.head_count", heads + " heads do not divide " + keys.key("embedding_length")
                    + " = " + embedding + ", and key_length/value_length are not given");
        }
        int keyLength = keys.count("attention.key_length", headLength);
        int valueLength = keys.count("attention.value_length", headLength);
        int ropeDimensions = keys.count("rope.dimension_count", keyLength);
        if (ropeDimensions % 2 != 0 || ropeDimensions > keyLength) {
            throw keys.error("rope.dimension_count", "expected an even count of at most the key length "
                    + keyLength + ", found " + ropeDimensions);
        }
        float eps = keys.positive("attention.layer_norm_rms_epsilon");
        RopeParams rope = RopeScaling.params(keys, variant.ropeMode(), ropeDimensions, context);
        AttentionConfig attentionConfig = new AttentionConfig(embedding, heads, kvHeads, keyLength, valueLength,
                (float) (1 / Math.sqrt(keyLength)), eps, rope, null);
        return new ModelConfig(name, modelName(metadata), keys.vocabularySize(), context, embedding, blocks,
                feedForwardLength, eps, attentionConfig, moe);
    }

    /** The experts as the family builds them, or null for a dense model. */
    private MoeConfig moe(ArchKeys keys, int feedForwardLength) {
        MoeKeys moeKeys = new MoeKeys(keys.metadata(), name);
        DecoderVariant.MoeStyle style = variant.moe();
        if (style == null) {
            if (moeKeys.present()) {
                throw keys.error("expert_count", "a " + name + " model has no experts (mixture-of-experts models "
                        + "of this family have their own architecture name)");
            }
            return null;
        }
        if (!moeKeys.present()) {
            if (style.required()) {
                throw keys.error("expert_count", "a " + name + " model needs experts: expected a count above 0");
            }
            return null;
        }
        int used = moeKeys.usedCount();
        int expertLength = switch (style.expertLength()) {
            case FEED_FORWARD_LENGTH -> {
                // llama.cpp sizes Mixtral's experts by feed_forward_length and reads no other key.
                if (keys.has("expert_feed_forward_length")
                        && keys.count("expert_feed_forward_length") != feedForwardLength) {
                    throw keys.error("expert_feed_forward_length", "a " + name + " model's experts are "
                            + keys.key("feed_forward_length") + " = " + feedForwardLength + " long, found "
                            + keys.count("expert_feed_forward_length"));
                }
                yield feedForwardLength;
            }
            case EXPERT_KEY_ELSE_SPLIT -> {
                if (keys.has("expert_feed_forward_length")) {
                    yield keys.count("expert_feed_forward_length");
                }
                if (feedForwardLength % used != 0) {
                    throw keys.error("expert_feed_forward_length", "missing, and " + keys.key("feed_forward_length")
                            + " = " + feedForwardLength + " does not split into " + used + " experts");
                }
                yield feedForwardLength / used;
            }
        };
        // These families take no routing keys beyond the counts and groups: softmax, the
        // family's normalisation, no scaling (llama.cpp leaves expert_weights_scale unread).
        MoeConfig config = moeKeys.config(expertLength, MoeRouting.Gating.SOFTMAX, style.normalize(), 1f, false);
        if (style.gatedSharedExpert()) {
            int sharedLength = keys.has("expert_shared_feed_forward_length")
                    ? keys.count("expert_shared_feed_forward_length") : feedForwardLength;
            config = new MoeConfig(config.expertCount(), config.expertFeedForwardLength(), 1, sharedLength,
                    config.leadingDenseBlockCount(), false, config.routing());
        } else if (config.sharedLength() > 0) {
            throw keys.error("expert_shared_count", "a " + name + " model has no shared experts, found "
                    + config.sharedExpertCount());
        }
        if (config.leadingDenseBlockCount() > 0) {
            throw keys.error("leading_dense_block_count", "every layer of a " + name
                    + " model with experts has them, found " + config.leadingDenseBlockCount() + " dense");
        }
        return config;
    }

    @Override
    public ForwardPass load(WeightSource source, ModelConfig config, LoadOptions options, KernelBackend backend) {
        if (options.attention() != null && !options.attention().equals(attention.name())) {
            throw new IllegalArgumentException(name + " models use attention '" + attention.name()
                    + "', not '" + options.attention() + "'");
        }
        if (!config.architecture().equals(name)) {
            throw new IllegalArgumentException("a " + config.architecture() + " config given to " + name);
        }
        return DenseDecoder.place(source, config, variant, attention, feedForward, experts, backend);
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
