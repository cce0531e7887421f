package dev.petrel.kernels.java.numerics;

/**
 * Scalar definitions ggml-cpu uses for its element-wise functions, so that both backends
 * compute the values llama.cpp computes: float arithmetic, {@code expf} as the correctly
 * rounded float of the exponential.
 */
public final class Ggml {

    private Ggml() {
    }

    public static float expf(float x) {
        return (float) Math.exp(x);
    }

    /** ggml's SiLU: {@code x / (1 + e^-x)}. */
    public static float silu(float x) {
        return x / (1.0f + expf(-x));
    }

    /** ggml's sigmoid: {@code 1 / (1 + e^-x)}. */
    public static float sigmoid(float x) {
        return 1.0f / (1.0f + expf(-x));
    }

    /**
     * RMS norm scale of a row whose squares (each rounded to float) summed in double to
     * {@code sumOfSquares}: {@code 1 / sqrt(mean + eps)} with the mean and the root in float.
     */
    public static float rmsScale(double sumOfSquares, int n, float eps) {
        float mean = (float) (sumOfSquares / n);
        return 1.0f / (float) Math.sqrt(mean + eps);
    }

    /**
     * The factor softmax multiplies its exponentials by: the reciprocal of their double sum,
     * taken in double and then rounded to float.
     */
    public static float softmaxNormalizer(double sumOfExponentials) {
        return (float) (1.0 / sumOfExponentials);
    }
}
