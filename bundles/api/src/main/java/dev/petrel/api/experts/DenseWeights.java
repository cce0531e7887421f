package dev.petrel.api.experts;

import dev.petrel.api.kernel.Tensor;
import java.util.Objects;

/**
 * A SwiGLU feed-forward network, {@code down(silu(gate x) * up x)}, on the backend; also the
 * shape of the shared experts of a MoE layer (GGUF stores several shared experts as one
 * wider network).
 *
 * @param gate {@code {n_embd, n_ff}} ({@code ffn_gate}, {@code ffn_gate_shexp})
 * @param up {@code {n_embd, n_ff}} ({@code ffn_up}, {@code ffn_up_shexp})
 * @param down {@code {n_ff, n_embd}} ({@code ffn_down}, {@code ffn_down_shexp})
 */
public record DenseWeights(Tensor gate, Tensor up, Tensor down) {
    public DenseWeights {
        Objects.requireNonNull(gate, "gate");
        Objects.requireNonNull(up, "up");
        Objects.requireNonNull(down, "down");
    }
}
