package dev.petrel.kernels.java.scalar;

import dev.petrel.api.kernel.MoeRouting;
import dev.petrel.kernels.java.HostTensor;
import dev.petrel.kernels.java.Workspace;
import dev.petrel.kernels.java.numerics.F32;
import dev.petrel.kernels.java.numerics.Ggml;
import java.lang.foreign.MemorySegment;

/**
 * MOE_ROUTE for each token, the steps {@link MoeRouting} lists: probabilities, selection
 * scores (plus the bias), the group limit, the top {@code used} experts (higher score first,
 * lower id on ties), then their unbiased probabilities, normalised and scaled as llama.cpp
 * does (the sum in double and clamped below at 2^-14, one division and one multiplication in
 * float).
 */
public final class MoeRouter {

    private static final float MIN_WEIGHT_SUM = 6.103515625e-5f;

    private final MoeRouting routing;
    private final MemorySegment logits;
    private final MemorySegment bias;
    private final int experts;
    private final long tokens;

    public MoeRouter(MoeRouting routing, HostTensor logits, HostTensor bias) {
        this.routing = routing;
        this.logits = logits.data();
        this.bias = bias == null ? null : bias.data();
        this.experts = (int) logits.dim(0);
        this.tokens = logits.rows();
    }

    public void route(HostTensor idsTensor, HostTensor weightsTensor, Workspace workspace) {
        MemorySegment ids = idsTensor.data();
        MemorySegment weights = weightsTensor.data();
        float[] probabilities = workspace.floats(0, 0, experts);
        float[] selection = workspace.floats(0, 1, experts);
        float[] groupScores = workspace.floats(0, 2, routing.groupCount());
        int used = routing.used();
        for (long t = 0; t < tokens; t++) {
            F32.read(logits, t * experts, probabilities, 0, experts);
            gate(probabilities);
            for (int e = 0; e < experts; e++) {
                selection[e] = bias == null ? probabilities[e] : probabilities[e] + F32.get(bias, e);
            }
            if (routing.groupCount() > 1) {
                limitGroups(selection, groupScores);
            }
            double sum = 0;
            for (int k = 0; k < used; k++) {
                int best = best(selection);
                selection[best] = Float.NEGATIVE_INFINITY;
                F32.setInt(ids, t * used + k, best);
                F32.set(weights, t * used + k, probabilities[best]);
                sum += probabilities[best];
            }
            // llama.cpp clamps the sum from below before dividing, so a vanishing sum cannot blow up.
            float total = Math.max((float) sum, MIN_WEIGHT_SUM);
            for (int k = 0; k < used; k++) {
                float w = F32.get(weights, t * used + k);
                if (routing.normalize()) {
                    w = w / total;
                }
                F32.set(weights, t * used + k, w * routing.scale());
            }
        }
    }

    private void gate(float[] values) {
        if (routing.gating() == MoeRouting.Gating.SOFTMAX) {
            Softmax.scaledInPlace(values, experts, 1.0f);
        } else {
            for (int e = 0; e < experts; e++) {
                values[e] = Ggml.sigmoid(values[e]);
            }
        }
    }

    /** Scores each group by its two best experts and drops the experts of the other groups. */
    private void limitGroups(float[] selection, float[] groupScores) {
        int groups = routing.groupCount();
        int size = experts / groups;
        for (int g = 0; g < groups; g++) {
            float first = Float.NEGATIVE_INFINITY;
            float second = Float.NEGATIVE_INFINITY;
            for (int e = g * size; e < (g + 1) * size; e++) {
                if (selection[e] > first) {
                    second = first;
                    first = selection[e];
                } else if (selection[e] > second) {
                    second = selection[e];
                }
            }
            groupScores[g] = first + second;
        }
        boolean[] kept = new boolean[groups];
        for (int i = 0; i < routing.groupsUsed(); i++) {
            int best = -1;
            for (int g = 0; g < groups; g++) {
                if (!kept[g] && (best < 0 || groupScores[g] > groupScores[best])) {
                    best = g;
                }
            }
            kept[best] = true;
        }
        for (int g = 0; g < groups; g++) {
            if (!kept[g]) {
                for (int e = g * size; e < (g + 1) * size; e++) {
                    selection[e] = Float.NEGATIVE_INFINITY;
                }
            }
        }
    }

    /** The index of the largest value, the lowest on ties. */
    private int best(float[] values) {
        int best = 0;
        for (int e = 1; e < experts; e++) {
            if (values[e] > values[best]) {
                best = e;
            }
        }
        return best;
    }
}
