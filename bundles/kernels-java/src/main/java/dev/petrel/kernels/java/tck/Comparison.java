package dev.petrel.kernels.java.tck;

import java.util.Arrays;

/** Measures a candidate's output against the reference's. */
final class Comparison {

    private Comparison() {
    }

    /** {@code sum((out - ref)^2) / sum(ref^2)}, in double; infinite if the candidate has a NaN the reference lacks. */
    static double nmse(float[] reference, float[] candidate) {
        double error = 0;
        double norm = 0;
        for (int i = 0; i < reference.length; i++) {
            if (Float.isNaN(candidate[i]) != Float.isNaN(reference[i])) {
                return Double.POSITIVE_INFINITY;
            }
            double d = (double) candidate[i] - reference[i];
            error += d * d;
            norm += (double) reference[i] * reference[i];
        }
        return norm == 0 ? (error == 0 ? 0 : Double.POSITIVE_INFINITY) : error / norm;
    }

    /** Null when every bit matches, else where the first difference is. */
    static String firstDifference(float[] reference, float[] candidate) {
        for (int i = 0; i < reference.length; i++) {
            if (Float.floatToRawIntBits(reference[i]) != Float.floatToRawIntBits(candidate[i])) {
                return "element " + i + ": " + candidate[i] + ", reference " + reference[i];
            }
        }
        return null;
    }

    static String firstDifference(int[] reference, int[] candidate) {
        int i = Arrays.mismatch(reference, candidate);
        return i < 0 ? null : "element " + i + ": " + candidate[i] + ", reference " + reference[i];
    }

    static String firstDifference(byte[] reference, byte[] candidate) {
        int i = Arrays.mismatch(reference, candidate);
        return i < 0 ? null : "byte " + i + ": " + candidate[i] + ", reference " + reference[i];
    }
}
