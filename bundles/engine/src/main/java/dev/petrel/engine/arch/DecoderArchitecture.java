package dev.petrel.engine.arch;

import dev.petrel.api.attention.AttentionConfig;
import dev.petrel.api.attention.AttentionStrategy;
import dev.petrel.api.engine.ForwardPass;
import dev.petrel.api.engine.LoadOptions;
import dev.petrel.api.engine.ModelArchitecture;
import dev.petrel.api.engine.ModelConfig;
import dev.petrel.api.experts.FeedForward;
import dev.petrel.api.kernel.KernelBackend;
import dev.petrel.api.kernel.RopeParams;
import dev.petrel.api.weights.Metadata;
import dev.petrel.api.weights.WeightSource;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The dense decoder families (llama, qwen2, qwen3): hyperparameters from the same
 * {@code {arch}.*} keys, the forward pass of {@link DenseDecoder}; a subclass names its
 * architecture and its {@link DecoderVariant}.
 */
public abstract class DecoderArchitecture implements ModelArchitecture {

    private final String name;
    private final DecoderVariant variant;
    private final AttentionStrategy attention;
    private final FeedForward feedForward;

    protected DecoderArchitecture(String name, DecoderVariant variant, AttentionStrategy attention,
            FeedForward feedForward) {
        this.name = name;
        this.variant = variant;
        this.attention = Objects.requireNonNull(attention, "attention");
        this.feedForward = Objects.requireNonNull(feedForward, "feedForward");
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public ModelConfig config(Metadata metadata) {
        ArchKeys keys = new ArchKeys(metadata, name);
        if (keys.has("expert_count") && metadata.integer(keys.key("expert_count")) > 0) {
            throw keys.error("expert_count", "mixture-of-experts " + name + " models are not supported yet");
        }
        int embedding = keys.count("embedding_length");
        int blocks = keys.count("block_count");
        int feedForwardLength = keys.count("feed_forward_length");
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
                feedForwardLength, eps, attentionConfig, null);
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
        return DenseDecoder.place(source, config, variant, attention, feedForward, backend);
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
