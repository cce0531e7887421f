package dev.petrel.experts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.petrel.api.experts.DenseWeights;
import dev.petrel.api.experts.MoeConfig;
import dev.petrel.api.experts.MoeWeights;
import dev.petrel.api.kernel.BufferUsage;
import dev.petrel.api.kernel.ComputeStream;
import dev.petrel.api.kernel.KernelBackend;
import dev.petrel.api.kernel.MoeRouting;
import dev.petrel.api.kernel.MoeRouting.Gating;
import dev.petrel.api.kernel.Tensor;
import dev.petrel.api.weights.TensorType;
import dev.petrel.kernels.java.HostBackend;
import dev.petrel.kernels.java.ScalarKernelBackend;
import dev.petrel.kernels.java.VectorKernelBackend;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The MoE layer against a plain reference written here with loops over the F32 weights:
 * routing (softmax or sigmoid, bias for selection only, group limit by the sum of a group's
 * two best scores, top-k, normalisation, scale), SwiGLU experts, weighted sum, shared experts
 * and their sigmoid gate. Inputs and weights are random and non-zero; outputs agree within
 * 1e-4 relative to the output's scale (float sums in the kernels, double here).
 */
class MixtureOfExpertsTest {

    private static final int N = 32;
    private static final int FF = 24;
    private static final int T = 7;
    private static final double TOLERANCE = 1e-4;

    static Stream<Arguments> backends() {
        Supplier<HostBackend> scalar = ScalarKernelBackend::standalone;
        Supplier<HostBackend> vector = () -> VectorKernelBackend.standalone(2);
        return Stream.of(Arguments.of("java-scalar", scalar), Arguments.of("java", vector));
    }

    /** One case: routing, experts and what shared experts there are. */
    record Case(String label, int experts, MoeRouting routing, boolean bias, int sharedLength, boolean sharedGate) {
        MoeConfig config() {
            return new MoeConfig(experts, FF, sharedLength > 0 ? 1 : 0, sharedLength, 0, bias, routing);
        }
    }

    static Stream<Arguments> cases() {
        List<Case> cases = List.of(
                new Case("Mixtral: softmax, top-2 of 8, normalised", 8,
                        new MoeRouting(Gating.SOFTMAX, 2, 1, 1, true, 1f), false, 0, false),
                new Case("DeepSeek-V2: softmax, top-3 of 8, not normalised, two shared experts", 8,
                        new MoeRouting(Gating.SOFTMAX, 3, 1, 1, false, 1f), false, 2 * FF, false),
                new Case("DeepSeek-V3: sigmoid + bias, 4 groups / top-2 groups, top-4 of 16, normalised, scale 2.5",
                        16, new MoeRouting(Gating.SIGMOID, 4, 4, 2, true, 2.5f), true, FF, false),
                new Case("qwen2moe: softmax, top-2 of 8, shared expert with sigmoid gate", 8,
                        new MoeRouting(Gating.SOFTMAX, 2, 1, 1, false, 1f), false, 40, true));
        List<Arguments> all = new ArrayList<>();
        backends().forEach(b -> cases.forEach(c -> all.add(Arguments.of(b.get()[0], b.get()[1], c))));
        return all.stream();
    }

    /** Host copies of one layer's weights, {@code [e][o][i]} flattened as ggml stores them. */
    static final class Layer {
        final int experts;
        final float[] router;      // {N, E}
        final float[] bias;        // {E} or null
        final float[] gate;        // {N, FF, E}
        final float[] up;          // {N, FF, E}
        final float[] down;        // {FF, N, E}
        final int sharedLength;
        final float[] sGate;       // {N, S}
        final float[] sUp;         // {N, S}
        final float[] sDown;       // {S, N}
        final float[] sharedGate;  // {N, 1} or null

        Layer(SplittableRandom random, Case c) {
            experts = c.experts();
            router = randoms(random, N * experts, 1.0);
            bias = c.bias() ? randoms(random, experts, 0.5) : null;
            gate = randoms(random, N * FF * experts, 1 / Math.sqrt(N));
            up = randoms(random, N * FF * experts, 1 / Math.sqrt(N));
            down = randoms(random, FF * N * experts, 1 / Math.sqrt(FF));
            sharedLength = c.sharedLength();
            sGate = sharedLength > 0 ? randoms(random, N * sharedLength, 1 / Math.sqrt(N)) : null;
            sUp = sharedLength > 0 ? randoms(random, N * sharedLength, 1 / Math.sqrt(N)) : null;
            sDown = sharedLength > 0 ? randoms(random, sharedLength * N, 1 / Math.sqrt(sharedLength)) : null;
            sharedGate = c.sharedGate() ? randoms(random, N, 1.0) : null;
        }

        MoeWeights upload(KernelBackend backend) {
            DenseWeights shared = sharedLength == 0 ? null : new DenseWeights(
                    weight(backend, "ffn_gate_shexp", sGate, N, sharedLength),
                    weight(backend, "ffn_up_shexp", sUp, N, sharedLength),
                    weight(backend, "ffn_down_shexp", sDown, sharedLength, N));
            return new MoeWeights(weight(backend, "ffn_gate_inp", router, N, experts),
                    bias == null ? null : weight(backend, "exp_probs_b", bias, experts),
                    weight(backend, "ffn_gate_exps", gate, N, FF, experts),
                    weight(backend, "ffn_up_exps", up, N, FF, experts),
                    weight(backend, "ffn_down_exps", down, FF, N, experts),
                    shared,
                    sharedGate == null ? null : weight(backend, "ffn_gate_inp_shexp", sharedGate, N, 1));
        }
    }

    @ParameterizedTest(name = "{0}: {2}")
    @MethodSource("cases")
    void forward_matchesThePlainReference(String backendName, Supplier<HostBackend> backends, Case c) {
        SplittableRandom random = new SplittableRandom(c.label().hashCode());
        Layer layer = new Layer(random, c);
        float[] x = randoms(random, N * T, 1.0);
        HostBackend backend = backends.get();
        try (ComputeStream stream = backend.openStream()) {
            MoeWeights weights = layer.upload(backend);
            Tensor in = input(backend, stream, x);
            Tensor out = backend.allocate("out", BufferUsage.COMPUTE, TensorType.F32, N, T);
            Tensor ids = backend.allocate("ids", BufferUsage.COMPUTE, TensorType.I32, c.routing().used(), T);
            Tensor routeWeights = backend.allocate("w", BufferUsage.COMPUTE, TensorType.F32, c.routing().used(), T);
            MixtureOfExperts moe = new MixtureOfExperts();
            moe.forward(stream, c.config(), weights, in, out);
            float[] got = stream.readFloats(out);
            moe.route(stream, c.config(), weights, in, ids, routeWeights);
            int[] gotIds = stream.readInts(ids);

            Set<Integer> distinct = new HashSet<>();
            for (int t = 0; t < T; t++) {
                float[] xt = Arrays.copyOfRange(x, t * N, (t + 1) * N);
                Route route = reference(layer, c, xt);
                int[] idsOfT = Arrays.copyOfRange(gotIds, t * c.routing().used(), (t + 1) * c.routing().used());
                assertEquals(Arrays.toString(route.ids()), Arrays.toString(idsOfT), "token " + t + ": chosen experts");
                distinct.add(Arrays.hashCode(route.ids()));
                double[] want = referenceOutput(layer, route, xt);
                double scale = Arrays.stream(want).map(Math::abs).max().orElseThrow();
                assertTrue(scale > 1e-3, "the reference output is not trivially small");
                for (int i = 0; i < N; i++) {
                    assertEquals(want[i], got[t * N + i], TOLERANCE * Math.max(1, scale),
                            "token " + t + " element " + i);
                }
            }
            // Random routing must actually vary, or the test would not exercise the choice.
            assertTrue(distinct.size() > 1, "every token chose the same experts");
        } finally {
            backend.shutdown(Duration.ofSeconds(1));
        }
    }

    /**
     * Experts that the router never chooses hold NaN weights: the output stays finite, so their
     * weights were not read (a single NaN read would poison a dot product).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void forward_readsOnlyTheChosenExperts(String backendName, Supplier<HostBackend> backends) {
        Case c = new Case("never chosen", 8, new MoeRouting(Gating.SOFTMAX, 2, 1, 1, true, 1f), false, 0, false);
        SplittableRandom random = new SplittableRandom(11);
        Layer layer = new Layer(random, c);
        // Positive inputs and all-negative router rows for experts 4..7: their logits are far
        // below the others' for every token, so they are never chosen.
        float[] x = new float[N * T];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (0.5 + random.nextDouble());
        }
        Set<Integer> never = Set.of(4, 5, 6, 7);
        for (int e : never) {
            for (int i = 0; i < N; i++) {
                layer.router[e * N + i] = (float) (-5 - random.nextDouble());
            }
            Arrays.fill(layer.gate, e * N * FF, (e + 1) * N * FF, Float.NaN);
            Arrays.fill(layer.up, e * N * FF, (e + 1) * N * FF, Float.NaN);
            Arrays.fill(layer.down, e * FF * N, (e + 1) * FF * N, Float.NaN);
        }
        HostBackend backend = backends.get();
        try (ComputeStream stream = backend.openStream()) {
            MoeWeights weights = layer.upload(backend);
            Tensor in = input(backend, stream, x);
            Tensor out = backend.allocate("out", BufferUsage.COMPUTE, TensorType.F32, N, T);
            Tensor ids = backend.allocate("ids", BufferUsage.COMPUTE, TensorType.I32, 2, T);
            Tensor routeWeights = backend.allocate("w", BufferUsage.COMPUTE, TensorType.F32, 2, T);
            MixtureOfExperts moe = new MixtureOfExperts();
            moe.route(stream, c.config(), weights, in, ids, routeWeights);
            Set<Integer> chosen = new HashSet<>();
            for (int id : stream.readInts(ids)) {
                chosen.add(id);
            }
            assertTrue(chosen.size() > 1 && chosen.stream().noneMatch(never::contains),
                    "chosen experts " + chosen + " must avoid " + never + " and vary");
            moe.forward(stream, c.config(), weights, in, out);
            float[] got = stream.readFloats(out);
            for (int i = 0; i < got.length; i++) {
                assertFalse(Float.isNaN(got[i]) || Float.isInfinite(got[i]), "element " + i + " is " + got[i]);
            }
            // And the finite result is the right one.
            for (int t = 0; t < T; t++) {
                float[] xt = Arrays.copyOfRange(x, t * N, (t + 1) * N);
                double[] want = referenceOutput(layer, reference(layer, c, xt), xt);
                for (int i = 0; i < N; i++) {
                    assertEquals(want[i], got[t * N + i], TOLERANCE * 10, "token " + t + " element " + i);
                }
            }
        } finally {
            backend.shutdown(Duration.ofSeconds(1));
        }
    }

    // ---- the reference -------------------------------------------------------------------

    record Route(int[] ids, double[] weights) {
    }

    static Route reference(Layer layer, Case c, float[] x) {
        int experts = layer.experts;
        MoeRouting routing = c.routing();
        double[] logits = times(layer.router, x, N, experts, 0);
        double[] p = new double[experts];
        if (routing.gating() == Gating.SOFTMAX) {
            double max = Arrays.stream(logits).max().orElseThrow();
            double sum = 0;
            for (int e = 0; e < experts; e++) {
                p[e] = Math.exp(logits[e] - max);
                sum += p[e];
            }
            for (int e = 0; e < experts; e++) {
                p[e] /= sum;
            }
        } else {
            for (int e = 0; e < experts; e++) {
                p[e] = 1 / (1 + Math.exp(-logits[e]));
            }
        }
        double[] s = new double[experts];
        for (int e = 0; e < experts; e++) {
            s[e] = p[e] + (layer.bias == null ? 0 : layer.bias[e]);
        }
        if (routing.groupCount() > 1) {
            int size = experts / routing.groupCount();
            double[] groupScore = new double[routing.groupCount()];
            for (int g = 0; g < routing.groupCount(); g++) {
                double[] members = Arrays.copyOfRange(s, g * size, (g + 1) * size);
                Arrays.sort(members);
                groupScore[g] = members[size - 1] + members[size - 2];
            }
            boolean[] kept = new boolean[routing.groupCount()];
            for (int k = 0; k < routing.groupsUsed(); k++) {
                int best = -1;
                for (int g = 0; g < groupScore.length; g++) {
                    if (!kept[g] && (best < 0 || groupScore[g] > groupScore[best])) {
                        best = g;
                    }
                }
                kept[best] = true;
            }
            for (int e = 0; e < experts; e++) {
                if (!kept[e / size]) {
                    s[e] = Double.NEGATIVE_INFINITY;
                }
            }
        }
        int[] ids = new int[routing.used()];
        double[] weights = new double[routing.used()];
        double sum = 0;
        for (int k = 0; k < ids.length; k++) {
            int best = 0;
            for (int e = 1; e < experts; e++) {
                if (s[e] > s[best]) {
                    best = e;
                }
            }
            ids[k] = best;
            weights[k] = p[best];
            sum += p[best];
            s[best] = Double.NEGATIVE_INFINITY;
        }
        for (int k = 0; k < ids.length; k++) {
            weights[k] = (routing.normalize() ? weights[k] / sum : weights[k]) * routing.scale();
        }
        return new Route(ids, weights);
    }

    static double[] referenceOutput(Layer layer, Route route, float[] x) {
        double[] out = new double[N];
        for (int k = 0; k < route.ids().length; k++) {
            int e = route.ids()[k];
            double[] y = swiglu(layer.gate, layer.up, layer.down, e * N * FF, e * FF * N, FF, x);
            for (int i = 0; i < N; i++) {
                out[i] += route.weights()[k] * y[i];
            }
        }
        if (layer.sharedLength > 0) {
            double[] y = swiglu(layer.sGate, layer.sUp, layer.sDown, 0, 0, layer.sharedLength, x);
            double share = 1;
            if (layer.sharedGate != null) {
                share = 1 / (1 + Math.exp(-times(layer.sharedGate, x, N, 1, 0)[0]));
            }
            for (int i = 0; i < N; i++) {
                out[i] += share * y[i];
            }
        }
        return out;
    }

    private static double[] swiglu(float[] gate, float[] up, float[] down, int upOffset, int downOffset, int ff,
            float[] x) {
        double[] g = times(gate, x, N, ff, upOffset);
        double[] u = times(up, x, N, ff, upOffset);
        float[] h = new float[ff];
        for (int o = 0; o < ff; o++) {
            h[o] = (float) (g[o] / (1 + Math.exp(-g[o])) * u[o]);
        }
        return times(down, h, ff, N, downOffset);
    }

    /** y = W x, W stored from {@code offset} as {@code out} rows of {@code in}. */
    private static double[] times(float[] w, float[] x, int in, int out, int offset) {
        double[] y = new double[out];
        for (int o = 0; o < out; o++) {
            double acc = 0;
            for (int i = 0; i < in; i++) {
                acc += (double) w[offset + o * in + i] * x[i];
            }
            y[o] = acc;
        }
        return y;
    }

    // ---- plumbing ------------------------------------------------------------------------

    private static float[] randoms(SplittableRandom random, int count, double scale) {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) {
            double u;
            do {
                u = random.nextDouble() * 2 - 1;
            } while (Math.abs(u) < 1e-3);   // never zero
            v[i] = (float) (u * scale);
        }
        return v;
    }

    private static Tensor input(KernelBackend backend, ComputeStream stream, float[] x) {
        Tensor in = backend.allocate("x", BufferUsage.COMPUTE, TensorType.F32, N, T);
        stream.write(MemorySegment.ofArray(x), in);
        return in;
    }

    private static Tensor weight(KernelBackend backend, String name, float[] values, long... dims) {
        return backend.uploadWeights(name, TensorType.F32, dims, MemorySegment.ofArray(values));
    }
}
