package dev.petrel.kernels.java.tck;

import static dev.petrel.api.weights.TensorType.F32;

import dev.petrel.api.kernel.Op;
import dev.petrel.api.kernel.RopeParams;
import dev.petrel.api.kernel.Tensor;
import java.util.List;

/**
 * ROPE in both pairings for head dims 64 and 128, with Llama 3 frequency factors, with YaRN
 * (DeepSeek-V2 style scaling), on part of a row (MLA's rope tail), and in place.
 */
final class RopeCases {

    private RopeCases() {
    }

    static void addTo(CaseList cases) {
        for (RopeParams.Mode mode : RopeParams.Mode.values()) {
            for (int d : new int[] {64, 128}) {
                rope(cases, mode + " d=" + d, d, 0, RopeParams.of(mode, d, 10000f), false, false);
            }
        }
        rope(cases, "NORMAL d=128 with frequency factors", 128, 0, RopeParams.of(RopeParams.Mode.NORMAL, 128, 500000f),
                true, false);
        RopeParams yarn = new RopeParams(RopeParams.Mode.NORMAL, 64, 10000f, 0.025f, 4096, 1f, 1f, 32f, 1f);
        rope(cases, "NORMAL d=64 YaRN factor 40", 64, 0, yarn, false, false);
        RopeParams yarnNeox = new RopeParams(RopeParams.Mode.NEOX, 128, 1000000f, 0.25f, 32768, 1f, 1f, 32f, 1f);
        rope(cases, "NEOX d=128 YaRN factor 4", 128, 0, yarnNeox, false, false);
        rope(cases, "NORMAL dims 32 from column 64 of 96", 96, 64, RopeParams.of(RopeParams.Mode.NORMAL, 32, 10000f),
                false, false);
        rope(cases, "NEOX d=128 in place", 128, 0, RopeParams.of(RopeParams.Mode.NEOX, 128, 10000f), false, true);
    }

    private static void rope(CaseList cases, String label, int d, int column, RopeParams params, boolean factors,
            boolean inPlace) {
        int heads = 3;
        int tokens = 4;
        int position0 = 7;
        cases.add("ROPE " + label, Op.ROPE, List.of(), s -> {
            Inputs in = new Inputs(100 + d + column + (factors ? 1 : 0) + (inPlace ? 2 : 0));
            Tensor x = s.f32(in.activations(d * heads * tokens), d, heads, tokens);
            Tensor freqFactors = null;
            if (factors) {
                float[] divisors = in.gaussian(params.dimensions() / 2, 1.0);
                for (int i = 0; i < divisors.length; i++) {
                    divisors[i] = 1f + Math.abs(divisors[i]) * 4f;
                }
                freqFactors = s.f32(divisors, divisors.length);
            }
            Tensor out = inPlace ? x : s.output(F32, d, heads, tokens);
            s.stream().rope(x, position0, column, params, freqFactors, out);
            return new Outputs().floats("out", s.floats(out));
        });
    }
}
