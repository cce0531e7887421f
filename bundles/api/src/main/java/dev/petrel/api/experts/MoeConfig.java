package dev.petrel.api.experts;

import dev.petrel.api.kernel.MoeRouting;
import java.util.Objects;

/**
 * Mixture-of-experts hyperparameters, read from explicit keys ({@code {arch}} is the value of
 * {@code general.architecture}; Hugging Face names in parentheses).
 *
 * @param expertCount routed experts {@code E} ({@code {arch}.expert_count};
 *        {@code n_routed_experts})
 * @param expertFeedForwardLength hidden length of one routed expert
 *        ({@code {arch}.expert_feed_forward_length}, or {@code {arch}.feed_forward_length} for
 *        llama-architecture MoE such as Mixtral; {@code moe_intermediate_size})
 * @param sharedExpertCount shared experts every token goes through
 *        ({@code {arch}.expert_shared_count}; {@code n_shared_experts}), 0 for none
 * @param sharedFeedForwardLength hidden length of all shared experts together
 *        ({@code {arch}.expert_shared_feed_forward_length}, qwen2moe); 0 means
 *        {@code sharedExpertCount * expertFeedForwardLength}
 * @param leadingDenseBlockCount first layers with a dense FFN instead of experts
 *        ({@code {arch}.leading_dense_block_count}; {@code first_k_dense_replace})
 * @param scoreCorrectionBias whether the router has a score-correction bias
 *        ({@code exp_probs_b}; {@code topk_method = noaux_tc})
 * @param routing how the router chooses and weighs experts: gating
 *        ({@code {arch}.expert_gating_func}: 1 softmax, 2 sigmoid, softmax when absent;
 *        {@code scoring_func}),
 *        experts used ({@code {arch}.expert_used_count}; {@code num_experts_per_tok}),
 *        groups ({@code {arch}.expert_group_count}, {@code {arch}.expert_group_used_count};
 *        {@code n_group}, {@code topk_group}), normalisation
 *        ({@code {arch}.expert_weights_norm}; {@code norm_topk_prob}) and scale
 *        ({@code {arch}.expert_weights_scale}; {@code routed_scaling_factor})
 */
public record MoeConfig(int expertCount, int expertFeedForwardLength, int sharedExpertCount,
        int sharedFeedForwardLength, int leadingDenseBlockCount, boolean scoreCorrectionBias, MoeRouting routing) {

    public MoeConfig {
        Objects.requireNonNull(routing, "routing");
        if (expertCount < 1 || expertFeedForwardLength < 1 || sharedExpertCount < 0 || sharedFeedForwardLength < 0
                || leadingDenseBlockCount < 0) {
            throw new IllegalArgumentException("MoE: experts " + expertCount + ", expert FFN length "
                    + expertFeedForwardLength + ", shared experts " + sharedExpertCount + ", shared FFN length "
                    + sharedFeedForwardLength + ", leading dense blocks " + leadingDenseBlockCount);
        }
        if (routing.used() > expertCount || expertCount % routing.groupCount() != 0
                || routing.used() > routing.groupsUsed() * (expertCount / routing.groupCount())) {
            throw new IllegalArgumentException("MoE: cannot choose " + routing.used() + " of " + expertCount
                    + " experts in " + routing.groupsUsed() + " of " + routing.groupCount() + " groups");
        }
    }

    /** Hidden length of the shared experts together, 0 when there are none. */
    public int sharedLength() {
        return sharedFeedForwardLength > 0 ? sharedFeedForwardLength : sharedExpertCount * expertFeedForwardLength;
    }

    /** Whether layer {@code layer} (from 0) has experts rather than a dense FFN. */
    public boolean isMoeLayer(int layer) {
        return layer >= leadingDenseBlockCount;
    }
}
