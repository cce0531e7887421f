package dev.petrel.api.kernel;

import java.util.Objects;

/**
 * How {@link Op#MOE_ROUTE} turns router logits into the experts a token uses and their
 * weights. For each token, with {@code E} experts:
 * <ol>
 *   <li>probabilities {@code p = softmax(logits)} or {@code p = sigmoid(logits)} per
 *       {@link #gating()};</li>
 *   <li>selection scores {@code s = p + bias} when a score-correction bias is given (it
 *       steers the choice only), else {@code s = p};</li>
 *   <li>with {@code groupCount > 1}: the experts split into {@code groupCount} consecutive
 *       groups, a group scores the sum of its two highest {@code s} (DeepSeek-V3, as
 *       llama.cpp does), and experts outside the {@code groupsUsed} best groups drop
 *       out;</li>
 *   <li>the {@code used} experts with the highest {@code s} are chosen (in descending order,
 *       the lower id first on ties);</li>
 *   <li>their weights are {@code p} of the chosen experts (without the bias), divided by
 *       their sum when {@link #normalize()}, then multiplied by {@link #scale()}.</li>
 * </ol>
 *
 * @param gating probability function over the router logits
 * @param used experts chosen per token ({@code expert_used_count})
 * @param groupCount expert groups ({@code expert_group_count}; 1 for no group limit)
 * @param groupsUsed groups kept per token ({@code expert_group_used_count}; 1 when
 *        {@code groupCount} is 1)
 * @param normalize whether the chosen weights are renormalised to sum 1
 *        ({@code expert_weights_norm})
 * @param scale routed scaling factor ({@code expert_weights_scale}; 1 when absent)
 */
public record MoeRouting(Gating gating, int used, int groupCount, int groupsUsed, boolean normalize, float scale) {

    /** Router probability function ({@code expert_gating_func}). */
    public enum Gating {
        /** Softmax over all experts: Mixtral, Qwen MoE, DeepSeek-V2. */
        SOFTMAX,
        /** Independent sigmoid per expert: DeepSeek-V3. */
        SIGMOID
    }

    public MoeRouting {
        Objects.requireNonNull(gating, "gating");
        if (used < 1 || groupCount < 1 || groupsUsed < 1 || groupsUsed > groupCount) {
            throw new IllegalArgumentException("MoE routing: used " + used + ", groups " + groupCount
                    + ", groups used " + groupsUsed + " (expected used >= 1 and 1 <= groups used <= groups)");
        }
        if (!(scale > 0) || !Float.isFinite(scale)) {
            throw new IllegalArgumentException("MoE routing: scale must be positive and finite: " + scale);
        }
    }
}
