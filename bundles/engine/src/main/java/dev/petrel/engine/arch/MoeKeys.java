package dev.petrel.engine.arch;

import dev.petrel.api.ModelFormatException;
import dev.petrel.api.experts.MoeConfig;
import dev.petrel.api.kernel.MoeRouting;
import dev.petrel.api.kernel.MoeRouting.Gating;
import dev.petrel.api.weights.Metadata;

/**
 * The mixture-of-experts keys of one architecture ({@code {arch}.expert_count} and the rest),
 * each read with a message naming the file, the key and what was expected. Which keys an
 * architecture honours differs (llama.cpp hard-codes softmax and renormalisation for Mixtral
 * and reads {@code expert_gating_func} only for deepseek2), so the architecture chooses with
 * {@link #config} or reads them all with {@link #full}.
 */
public final class MoeKeys {

    private final ArchKeys keys;

    public MoeKeys(Metadata metadata, String arch) {
        this.keys = new ArchKeys(metadata, arch);
    }

    /** Whether the model has experts: {@code expert_count} present and above 0. */
    public boolean present() {
        return keys.has("expert_count") && nonNegative("expert_count", 0) > 0;
    }

    /** {@code expert_count}: required, at least 1. */
    public int expertCount() {
        return keys.count("expert_count");
    }

    /** {@code expert_used_count}: required, from 1 to {@code expert_count}. */
    public int usedCount() {
        int used = keys.count("expert_used_count");
        if (used > expertCount()) {
            throw keys.error("expert_used_count", "expected at most " + keys.key("expert_count") + " = "
                    + expertCount() + " experts per token, found " + used);
        }
        return used;
    }

    /**
     * {@code expert_feed_forward_length}; when absent, {@code fallbackKey} (a suffix such as
     * {@code feed_forward_length}, Mixtral) or, when that is null, an error.
     */
    public int expertFeedForwardLength(String fallbackKey) {
        if (keys.has("expert_feed_forward_length") || fallbackKey == null) {
            return keys.count("expert_feed_forward_length");
        }
        return keys.count(fallbackKey);
    }

    /** {@code expert_shared_count}: 0 when absent. */
    public int sharedCount() {
        return nonNegative("expert_shared_count", 0);
    }

    /** {@code expert_shared_feed_forward_length}: 0 (derived from the shared count) when absent. */
    public int sharedFeedForwardLength() {
        return nonNegative("expert_shared_feed_forward_length", 0);
    }

    /** {@code leading_dense_block_count}: 0 when absent, below {@code block_count}. */
    public int leadingDenseBlockCount() {
        int dense = nonNegative("leading_dense_block_count", 0);
        int blocks = keys.count("block_count");
        if (dense >= blocks) {
            throw keys.error("leading_dense_block_count", "expected fewer dense blocks than "
                    + keys.key("block_count") + " = " + blocks + ", found " + dense);
        }
        return dense;
    }

    /** {@code expert_gating_func}: 1 softmax, 2 sigmoid; softmax when absent (or 0, "none"). */
    public Gating gating() {
        long value = nonNegative("expert_gating_func", 0);
        return switch ((int) value) {
            case 0, 1 -> Gating.SOFTMAX;
            case 2 -> Gating.SIGMOID;
            default -> throw keys.error("expert_gating_func",
                    "expected 1 (softmax) or 2 (sigmoid), found " + value);
        };
    }

    /** {@code expert_group_count}: 1 (no group limit) when absent or 0; divides {@code expert_count}. */
    public int groupCount() {
        int groups = Math.max(1, nonNegative("expert_group_count", 1));
        int experts = expertCount();
        if (groups > experts || experts % groups != 0) {
            throw keys.error("expert_group_count", "expected a divisor of " + keys.key("expert_count") + " = "
                    + experts + ", found " + groups);
        }
        return groups;
    }

    /** {@code expert_group_used_count}: required from 1 to the group count when there are groups. */
    public int groupsUsed() {
        int groups = groupCount();
        if (groups == 1) {
            return 1;
        }
        if (!keys.has("expert_group_used_count")) {
            throw keys.error("expert_group_used_count", "missing, required with " + keys.key("expert_group_count")
                    + " = " + groups);
        }
        int used = keys.count("expert_group_used_count");
        if (used > groups) {
            throw keys.error("expert_group_used_count", "expected at most " + groups + " groups, found " + used);
        }
        return used;
    }

    /** {@code expert_weights_norm}, or {@code fallback} when absent. */
    public boolean normalize(boolean fallback) {
        return keys.metadata().bool(keys.key("expert_weights_norm"), fallback);
    }

    /** {@code expert_weights_scale}: 1 when absent or 0 (llama.cpp scales only by other values). */
    public float scale() {
        String key = keys.key("expert_weights_scale");
        double value = keys.metadata().number(key, 0);
        if (value == 0) {
            return 1f;
        }
        if (!(value > 0) || !Double.isFinite(value)) {
            throw keys.error("expert_weights_scale", "expected a positive number, found " + value);
        }
        return (float) value;
    }

    /**
     * A config from the counts, groups and shared experts in the keys, with the routing choices
     * the architecture makes itself.
     */
    public MoeConfig config(int expertFeedForwardLength, Gating gating, boolean normalize, float scale,
            boolean scoreCorrectionBias) {
        int experts = expertCount();
        int used = usedCount();
        int groups = groupCount();
        int groupsUsed = groupsUsed();
        if (used > groupsUsed * (experts / groups)) {
            throw keys.error("expert_used_count", "cannot choose " + used + " experts from " + groupsUsed
                    + " groups of " + (experts / groups));
        }
        try {
            return new MoeConfig(experts, expertFeedForwardLength, sharedCount(), sharedFeedForwardLength(),
                    leadingDenseBlockCount(), scoreCorrectionBias,
                    new MoeRouting(gating, used, groups, groupsUsed, normalize, scale));
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(keys.metadata().source(), keys.key("expert_count"), e.getMessage());
        }
    }

    /**
     * Every key honoured (deepseek2): {@code expert_feed_forward_length} required, gating
     * from {@code expert_gating_func}, normalisation off unless {@code expert_weights_norm},
     * the scale from {@code expert_weights_scale}.
     */
    public MoeConfig full(boolean scoreCorrectionBias) {
        return config(expertFeedForwardLength(null), gating(), normalize(false), scale(), scoreCorrectionBias);
    }

    private int nonNegative(String suffix, int fallback) {
        String key = keys.key(suffix);
        if (!keys.metadata().contains(key)) {
            return fallback;
        }
        long value = keys.metadata().integer(key);
        if (value < 0 || value > Integer.MAX_VALUE) {
            throw keys.error(suffix, "expected an integer from 0 to " + Integer.MAX_VALUE + ", found " + value);
        }
        return (int) value;
    }
}
