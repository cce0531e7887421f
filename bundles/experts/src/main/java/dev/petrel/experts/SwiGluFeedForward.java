package dev.petrel.experts;

import dev.petrel.api.experts.DenseWeights;
import dev.petrel.api.experts.FeedForward;
import dev.petrel.api.kernel.ComputeStream;
import dev.petrel.api.kernel.Tensor;
import dev.petrel.api.weights.TensorType;
import org.osgi.service.component.annotations.Component;

/**
 * The dense SwiGLU network of llama-style models, {@code down(silu(gate x) * up x)}, as three
 * matrix products over the whole batch.
 */
@Component(service = FeedForward.class)
public final class SwiGluFeedForward implements FeedForward {

    @Override
    public void forward(ComputeStream stream, DenseWeights weights, Tensor x, Tensor out) {
        long hidden = weights.gate().dim(1);
        long tokens = x.rows();
        Tensor gate = stream.scratch("ffn.gate", TensorType.F32, hidden, tokens);  // {n_ff, T}
        Tensor up = stream.scratch("ffn.up", TensorType.F32, hidden, tokens);      // {n_ff, T}
        stream.matmul(weights.gate(), x, gate);
        stream.matmul(weights.up(), x, up);
        stream.siluMul(gate, up, gate);             // element-wise, in place
        stream.matmul(weights.down(), gate, out);   // {n_embd, T}
    }
}
