package dev.petrel.experts;

import dev.petrel.api.experts.DenseWeights;
import dev.petrel.api.experts.Experts;
import dev.petrel.api.experts.MoeConfig;
import dev.petrel.api.experts.MoeWeights;
import dev.petrel.api.kernel.ComputeStream;
import dev.petrel.api.kernel.Tensor;
import dev.petrel.api.weights.TensorType;
import org.osgi.service.component.annotations.Component;

/**
 * The mixture-of-experts layer as llama.cpp builds it: router logits, MOE_ROUTE (gating, bias,
 * group limit, top-k, normalisation, scale), the chosen experts' SwiGLU networks through
 * MATMUL_EXPERTS (so only their weights are read), the weighted sum, then the shared experts
 * (optionally scaled by a sigmoid gate) added.
 */
@Component(service = Experts.class)
public final class MixtureOfExperts implements Experts {

    @Override
    public void route(ComputeStream stream, MoeConfig config, MoeWeights weights, Tensor x, Tensor ids,
            Tensor routeWeights) {
        check(config, weights, x);
        long tokens = x.rows();
        Tensor logits = stream.scratch("moe.logits", TensorType.F32, config.expertCount(), tokens);   // {E, T}
        stream.matmul(weights.router(), x, logits);
        stream.moeRoute(logits, weights.scoreBias(), config.routing(), ids, routeWeights);
    }

    @Override
    public void forward(ComputeStream stream, MoeConfig config, MoeWeights weights, Tensor x, Tensor out) {
        long n = x.dim(0);
        long tokens = x.rows();
        int used = config.routing().used();
        long ff = weights.gate().dim(1);
        Tensor ids = stream.scratch("moe.ids", TensorType.I32, used, tokens);            // {K, T}
        Tensor chosen = stream.scratch("moe.weights", TensorType.F32, used, tokens);     // {K, T}
        route(stream, config, weights, x, ids, chosen);

        Tensor input = x.reshape(n, 1, tokens);                                          // one row per token
        Tensor gate = stream.scratch("moe.gate", TensorType.F32, ff, used, tokens);      // {n_ff_exp, K, T}
        Tensor up = stream.scratch("moe.up", TensorType.F32, ff, used, tokens);
        Tensor down = stream.scratch("moe.down", TensorType.F32, n, used, tokens);       // {n_embd, K, T}
        stream.matmulExperts(weights.gate(), input, ids, gate);
        stream.matmulExperts(weights.up(), input, ids, up);
        stream.siluMul(gate, up, gate);
        stream.matmulExperts(weights.down(), gate, ids, down);
        stream.moeCombine(down, chosen, out);

        DenseWeights shared = weights.shared();
        if (shared == null) {
            return;
        }
        long sharedFf = shared.gate().dim(1);
        Tensor sGate = stream.scratch("moe.shared.gate", TensorType.F32, sharedFf, tokens);
        Tensor sUp = stream.scratch("moe.shared.up", TensorType.F32, sharedFf, tokens);
        Tensor sOut = stream.scratch("moe.shared.out", TensorType.F32, n, tokens);
        stream.matmul(shared.gate(), x, sGate);
        stream.matmul(shared.up(), x, sUp);
        stream.siluMul(sGate, sUp, sGate);
        stream.matmul(shared.down(), sGate, sOut);
        if (weights.sharedGate() != null) {
            // qwen2moe: the shared experts' share is sigmoid(ffn_gate_inp_shexp . x) per token.
            Tensor share = stream.scratch("moe.shared.share", TensorType.F32, 1, tokens);
            stream.matmul(weights.sharedGate(), x, share);
            stream.sigmoid(share, share);
            stream.mul(sOut, share, sOut);
        }
        stream.add(out, sOut, out);
    }

    private static void check(MoeConfig config, MoeWeights weights, Tensor x) {
        long n = x.dim(0);
        Tensor router = weights.router();
        if (router.dim(0) != n || router.dim(1) != config.expertCount()) {
            throw new IllegalArgumentException("MoE router " + router.name() + " is "
                    + java.util.Arrays.toString(router.dims()) + ", expected {" + n + ", " + config.expertCount()
                    + "} {n_embd, expert_count}");
        }
        for (Tensor t : new Tensor[] {weights.gate(), weights.up(), weights.down()}) {
            if (t.rank() != 3 || t.dim(2) != config.expertCount()) {
                throw new IllegalArgumentException("MoE expert weights " + t.name() + " are "
                        + java.util.Arrays.toString(t.dims()) + ", expected " + config.expertCount()
                        + " experts stacked in dimension 2");
            }
        }
    }
}
