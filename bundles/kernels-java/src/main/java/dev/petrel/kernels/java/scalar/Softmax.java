package dev.petrel.kernels.java.scalar;

import dev.petrel.kernels.java.numerics.Ggml;

/**
 * Softmax of one row as ggml computes it: scale, subtract the maximum, exponentials in
 * float summed in double, then multiply by the rounded reciprocal of the sum.
 */
public final class Softmax {

    private Softmax() {
    }

    /** Replaces {@code row[0 .. n)} by the softmax of {@code row * scale}. */
    public static void scaledInPlace(float[] row, int n, float scale) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            row[i] *= scale;
            max = Math.max(max, row[i]);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float e = Ggml.expf(row[i] - max);
            sum += e;
            row[i] = e;
        }
        float normalizer = Ggml.softmaxNormalizer(sum);
        for (int i = 0; i < n; i++) {
            row[i] *= normalizer;
        }
    }
}
