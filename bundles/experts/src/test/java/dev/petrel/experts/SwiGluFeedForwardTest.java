package dev.petrel.experts;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.petrel.api.experts.DenseWeights;
import dev.petrel.api.kernel.BufferUsage;
import dev.petrel.api.kernel.ComputeStream;
import dev.petrel.api.kernel.KernelBackend;
import dev.petrel.api.kernel.Tensor;
import dev.petrel.api.weights.TensorType;
import dev.petrel.kernels.java.ScalarKernelBackend;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SwiGluFeedForwardTest {

    private static final int N = 24;
    private static final int FF = 40;
    private static final int T = 3;

    private final SplittableRandom random = new SplittableRandom(5);

    private float[] randoms(int count, double scale) {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) {
            v[i] = (float) ((random.nextDouble() * 2 - 1) * scale);
        }
        return v;
    }

    /** y = W x for W stored as n_out rows of n_in. */
    private static float[] times(float[] w, float[] x, int in, int out) {
        float[] y = new float[out];
        for (int o = 0; o < out; o++) {
            double acc = 0;
            for (int i = 0; i < in; i++) {
                acc += (double) w[o * in + i] * x[i];
            }
            y[o] = (float) acc;
        }
        return y;
    }

    @Test
    void forward_isDownOfSiluGateTimesUp_forEveryToken() {
        float[] gate = randoms(N * FF, 0.3);
        float[] up = randoms(N * FF, 0.3);
        float[] down = randoms(FF * N, 0.2);
        float[] x = randoms(N * T, 1);
        ScalarKernelBackend backend = ScalarKernelBackend.standalone();
        try (ComputeStream stream = backend.openStream()) {
            DenseWeights weights = new DenseWeights(weight(backend, "gate", gate, N, FF),
                    weight(backend, "up", up, N, FF), weight(backend, "down", down, FF, N));
            Tensor in = backend.allocate("x", BufferUsage.COMPUTE, TensorType.F32, N, T);
            Tensor out = backend.allocate("out", BufferUsage.COMPUTE, TensorType.F32, N, T);
            stream.write(MemorySegment.ofArray(x), in);
            new SwiGluFeedForward().forward(stream, weights, in, out);
            float[] got = stream.readFloats(out);
            for (int t = 0; t < T; t++) {
                float[] xt = java.util.Arrays.copyOfRange(x, t * N, (t + 1) * N);
                float[] g = times(gate, xt, N, FF);
                float[] u = times(up, xt, N, FF);
                float[] h = new float[FF];
                for (int i = 0; i < FF; i++) {
                    h[i] = (float) (g[i] / (1 + Math.exp(-g[i])) * u[i]);
                }
                float[] want = times(down, h, FF, N);
                for (int i = 0; i < N; i++) {
                    assertEquals(want[i], got[t * N + i], 1e-5, "token " + t + " element " + i);
                }
            }
        } finally {
            backend.shutdown(Duration.ofSeconds(1));
        }
    }

    private static Tensor weight(KernelBackend backend, String name, float[] values, int in, int out) {
        return backend.uploadWeights(name, TensorType.F32, new long[] {in, out}, MemorySegment.ofArray(values));
    }
}
