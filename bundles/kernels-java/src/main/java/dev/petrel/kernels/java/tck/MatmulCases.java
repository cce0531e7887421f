package dev.petrel.kernels.java.tck;

import static dev.petrel.api.weights.TensorType.BF16;
import static dev.petrel.api.weights.TensorType.F16;
import static dev.petrel.api.weights.TensorType.F32;
import static dev.petrel.api.weights.TensorType.F8_E4M3;
import static dev.petrel.api.weights.TensorType.Q4_0;
import static dev.petrel.api.weights.TensorType.Q8_0;

import dev.petrel.api.kernel.Op;
import dev.petrel.api.kernel.Tensor;
import dev.petrel.api.weights.TensorType;
import java.util.List;

/**
 * MATMUL, MATMUL_HEADS and MATMUL_EXPERTS for every weight type, with row lengths that are
 * not multiples of a vector (for the float types), output counts that do not split evenly
 * across threads, and batches of 1 and of more tokens than a kernel's tile of four. FP8 E4M3
 * weights carry 128 × 128 block scales, per matrix for stacked heads and experts.
 */
final class MatmulCases {

    private static final List<TensorType> FLOAT_TYPES = List.of(F32, F16, BF16);
    private static final List<TensorType> BLOCK_TYPES = List.of(Q8_0, Q4_0);

    private MatmulCases() {
    }

    static void addTo(CaseList cases) {
        for (TensorType type : FLOAT_TYPES) {
            matmul(cases, type, 67, 37, 1);
            matmul(cases, type, 67, 37, 6);
            matmul(cases, type, 300, 70, 9);
        }
        for (TensorType type : BLOCK_TYPES) {
            matmul(cases, type, 96, 37, 1);
            matmul(cases, type, 96, 37, 6);
            matmul(cases, type, 320, 70, 9);
        }
        // FP8 with 128 x 128 block scales: rows across several scale blocks, a partial last block
        matmul(cases, F8_E4M3, 67, 37, 1);
        matmul(cases, F8_E4M3, 300, 140, 6);
        heads(cases, F32, 67);
        heads(cases, Q8_0, 64);
        heads(cases, F8_E4M3, 200);
        for (TensorType type : List.of(F32, Q8_0, Q4_0, F8_E4M3)) {
            experts(cases, type, 1);
            experts(cases, type, 2);
        }
    }

    private static void matmul(CaseList cases, TensorType type, int nIn, int nOut, int tokens) {
        long seed = 1000 + 31L * type.ordinal() + nIn + 7L * tokens;
        cases.add("MATMUL " + type + " " + nIn + "x" + nOut + " T=" + tokens, Op.MATMUL, List.of(type), s -> {
            Inputs in = new Inputs(seed);
            Tensor w = s.weights(type, in.weights(nIn, nOut), nIn, nOut);
            Tensor x = s.f32(in.activations(nIn * tokens), nIn, tokens);
            Tensor out = s.output(F32, nOut, tokens);
            s.stream().matmul(w, x, out);
            return new Outputs().floats("out", s.floats(out));
        });
    }

    private static void heads(CaseList cases, TensorType type, int nIn) {
        int nOut = 13;
        int heads = 3;
        int tokens = 4;
        cases.add("MATMUL_HEADS " + type + " " + nIn + "x" + nOut + " H=" + heads + " T=" + tokens, Op.MATMUL_HEADS,
                List.of(type), s -> {
                    Inputs in = new Inputs(2000 + type.ordinal());
                    Tensor w = s.weights(type, in.weights(nIn, nOut * heads), nIn, nOut, heads);
                    Tensor x = s.f32(in.activations(nIn * heads * tokens), nIn, heads, tokens);
                    Tensor out = s.output(F32, nOut, heads, tokens);
                    s.stream().matmulHeads(w, x, out);
                    return new Outputs().floats("out", s.floats(out));
                });
    }

    private static void experts(CaseList cases, TensorType type, int inputsPerToken) {
        int nIn = 64;
        int nOut = 21;
        int experts = 6;
        int used = 2;
        int tokens = 3;
        cases.add("MATMUL_EXPERTS " + type + " E=" + experts + " K=" + used + " x rows per token " + inputsPerToken,
                Op.MATMUL_EXPERTS, List.of(type), s -> {
                    Inputs in = new Inputs(3000 + 10L * type.ordinal() + inputsPerToken);
                    Tensor w = s.weights(type, in.weights(nIn, nOut * experts), nIn, nOut, experts);
                    Tensor x = s.f32(in.activations(nIn * inputsPerToken * tokens), nIn, inputsPerToken, tokens);
                    Tensor ids = s.ids(in.distinct(experts, used, tokens), used, tokens);
                    Tensor out = s.output(F32, nOut, used, tokens);
                    s.stream().matmulExperts(w, x, ids, out);
                    return new Outputs().floats("out", s.floats(out));
                });
    }
}
