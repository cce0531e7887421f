package dev.petrel.api.experts;

import dev.petrel.api.kernel.Tensor;
import java.util.Objects;

/**
 * One MoE layer's weights on the backend, {@code E} routed experts stacked along the outermost
 * dimension.
 *
 * @param router {@code {n_embd, E}} ({@code ffn_gate_inp})
 * @param scoreBias {@code {E}} score-correction bias, used for selection only
 *        ({@code exp_probs_b}, DeepSeek-V3), or null
 * @param gate {@code {n_embd, n_ff_exp, E}} ({@code ffn_gate_exps})
 * @param up {@code {n_embd, n_ff_exp, E}} ({@code ffn_up_exps})
 * @param down {@code {n_ff_exp, n_embd, E}} ({@code ffn_down_exps})
 * @param shared the shared experts as one network ({@code ffn_*_shexp}), or null
 * @param sharedGate {@code {n_embd, 1}} gate of the shared experts, whose output is scaled by
 *        {@code sigmoid(sharedGate . x)} ({@code ffn_gate_inp_shexp}, qwen2moe), or null
 */
public record MoeWeights(Tensor router, Tensor scoreBias, Tensor gate, Tensor up, Tensor down, DenseWeights shared,
        Tensor sharedGate) {
    public MoeWeights {
        Objects.requireNonNull(router, "router");
        Objects.requireNonNull(gate, "gate");
        Objects.requireNonNull(up, "up");
        Objects.requireNonNull(down, "down");
        if (sharedGate != null && shared == null) {
            throw new IllegalArgumentException("ffn_gate_inp_shexp given without shared experts");
        }
    }
}
