package dev.petrel.kernels.java.tck;

import static dev.petrel.api.weights.TensorType.F32;
import static dev.petrel.api.weights.TensorType.I32;

import dev.petrel.api.kernel.MoeRouting;
import dev.petrel.api.kernel.Op;
import dev.petrel.api.kernel.Tensor;
import java.util.List;

/**
 * MOE_ROUTE as Mixtral and Qwen MoE (softmax, top-k, with and without renormalisation) and as
 * DeepSeek-V3 (sigmoid, score-correction bias, groups, renormalised and scaled), on logits
 * free of near ties; MOE_COMBINE.
 */
final class MoeCases {

    private MoeCases() {
    }

    static void addTo(CaseList cases) {
        route(cases, "softmax top-2 of 8", new MoeRouting(MoeRouting.Gating.SOFTMAX, 2, 1, 1, false, 1f), 8, false);
        route(cases, "softmax top-2 of 8, renormalised", new MoeRouting(MoeRouting.Gating.SOFTMAX, 2, 1, 1, true, 1f), 8,
                false);
        route(cases, "sigmoid + bias, top-4 of 16 in 2 of 4 groups, scale 2.5",
                new MoeRouting(MoeRouting.Gating.SIGMOID, 4, 4, 2, true, 2.5f), 16, true);
        cases.add("MOE_COMBINE {67, 3, 4}", Op.MOE_COMBINE, List.of(), s -> {
            Inputs in = new Inputs(400);
            Tensor experts = s.f32(in.activations(67 * 3 * 4), 67, 3, 4);
            Tensor weights = s.f32(in.activations(3 * 4), 3, 4);
            Tensor out = s.output(F32, 67, 4);
            s.stream().moeCombine(experts, weights, out);
            return new Outputs().floats("out", s.floats(out));
        });
    }

    private static void route(CaseList cases, String label, MoeRouting routing, int experts, boolean biased) {
        int tokens = 3;
        cases.add("MOE_ROUTE " + label, Op.MOE_ROUTE, List.of(), s -> {
            Inputs in = new Inputs(410 + experts + (biased ? 1 : 0));
            Tensor logits = s.f32(in.separated(experts, tokens, 0.3f), experts, tokens);
            Tensor bias = biased ? s.f32(in.separated(experts, 1, 0.01f), experts) : null;
            Tensor ids = s.output(I32, routing.used(), tokens);
            Tensor weights = s.output(F32, routing.used(), tokens);
            s.stream().moeRoute(logits, bias, routing, ids, weights);
            return new Outputs().ints("ids", s.ints(ids)).floats("weights", s.floats(weights));
        });
    }
}
