package dev.petrel.kernels.java.tck;

import static dev.petrel.api.weights.TensorType.BF16;
import static dev.petrel.api.weights.TensorType.F16;
import static dev.petrel.api.weights.TensorType.F32;

import dev.petrel.api.kernel.Op;
import dev.petrel.api.kernel.Tensor;
import dev.petrel.api.weights.TensorType;
import java.util.List;

/**
 * ATTENTION over F32, F16 and BF16 caches, head dims 64 and 128, GQA ratios 1, 2 and 4, for a
 * batch in the middle of a sequence, a prefill from position 0, one decode step, and MLA's
 * absorbed form (one latent cache as both keys and values, values shorter than keys).
 */
final class AttentionCases {

    private static final int HEADS = 8;

    private AttentionCases() {
    }

    static void addTo(CaseList cases) {
        for (TensorType cache : List.of(F32, F16, BF16)) {
            for (int d : new int[] {64, 128}) {
                for (int ratio : new int[] {1, 2, 4}) {
                    attention(cases, cache, d, ratio, 5, 3);
                }
            }
        }
        attention(cases, F32, 64, 2, 0, 6);
        attention(cases, F16, 128, 4, 11, 1);
        mla(cases, F32);
        mla(cases, F16);
    }

    private static void attention(CaseList cases, TensorType cache, int d, int ratio, int position0, int tokens) {
        int kvHeads = HEADS / ratio;
        int positions = position0 + tokens + 2;
        String name = "ATTENTION " + cache + " d=" + d + " GQA " + ratio + " positions " + position0 + "+" + tokens;
        cases.add(name, Op.ATTENTION, List.of(cache), s -> {
            Inputs in = new Inputs(200 + 10L * cache.ordinal() + d + ratio + position0);
            Tensor q = s.f32(in.activations(d * HEADS * tokens), d, HEADS, tokens);
            Tensor k = s.values(cache, in.activations(d * kvHeads * positions), d, kvHeads, positions);
            Tensor v = s.values(cache, in.activations(d * kvHeads * positions), d, kvHeads, positions);
            Tensor out = s.output(F32, d, HEADS, tokens);
            s.stream().attention(q, k, v, d, (float) (1 / Math.sqrt(d)), position0, out);
            return new Outputs().floats("out", s.floats(out));
        });
    }

    private static void mla(CaseList cases, TensorType cache) {
        int latent = 64;
        int rope = 16;
        int heads = 4;
        int tokens = 3;
        int position0 = 4;
        int positions = 9;
        cases.add("ATTENTION " + cache + " MLA latent " + latent + " + rope " + rope, Op.ATTENTION, List.of(cache), s -> {
            Inputs in = new Inputs(300 + cache.ordinal());
            Tensor q = s.f32(in.activations((latent + rope) * heads * tokens), latent + rope, heads, tokens);
            Tensor kv = s.values(cache, in.activations((latent + rope) * positions), latent + rope, 1, positions);
            Tensor out = s.output(F32, latent, heads, tokens);
            s.stream().attention(q, kv, kv, latent, 0.1f, position0, out);
            return new Outputs().floats("out", s.floats(out));
        });
    }
}
