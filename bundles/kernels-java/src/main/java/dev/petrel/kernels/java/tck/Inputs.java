package dev.petrel.kernels.java.tck;

import java.util.Random;

/**
 * Random inputs with fixed seeds: activations from N(0, 1), weights from N(0, 1/sqrt(n_in)),
 * never zero (a zero would hide a missing write), and rows free of near ties where an op
 * picks the largest value.
 */
final class Inputs {

    private final Random random;

    Inputs(long seed) {
        this.random = new Random(seed);
    }

    /** N(0, sigma) values; a value that happens to be 0 is redrawn. */
    float[] gaussian(int count, double sigma) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            float v;
            do {
                v = (float) (random.nextGaussian() * sigma);
            } while (v == 0f);
            values[i] = v;
        }
        return values;
    }

    float[] activations(int count) {
        return gaussian(count, 1.0);
    }

    /** A weight matrix of {@code rows} rows of {@code inputs}: the usual N(0, 1/sqrt(n_in)). */
    float[] weights(int inputs, int rows) {
        return gaussian(inputs * rows, 1.0 / Math.sqrt(inputs));
    }

    /**
     * Rows of {@code n} distinct values at least {@code gap} apart (a shuffled ramp with
     * noise), so that the largest values and their order are the same on every backend.
     */
    float[] separated(int n, int rows, float gap) {
        float[] values = new float[n * rows];
        for (int r = 0; r < rows; r++) {
            int[] order = permutation(n);
            for (int i = 0; i < n; i++) {
                values[r * n + i] = (order[i] - n / 2f + 0.5f) * gap + (float) (random.nextDouble() * 0.25 * gap);
            }
        }
        return values;
    }

    /** {@code k} distinct values of {@code [0, n)} per row, for expert ids. */
    int[] distinct(int n, int k, int rows) {
        int[] ids = new int[k * rows];
        for (int r = 0; r < rows; r++) {
            int[] order = permutation(n);
            System.arraycopy(order, 0, ids, r * k, k);
        }
        return ids;
    }

    int[] uniform(int bound, int count) {
        int[] values = new int[count];
        for (int i = 0; i < count; i++) {
            values[i] = random.nextInt(bound);
        }
        return values;
    }

    private int[] permutation(int n) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }
}
