package dev.petrel.kernels.java;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.petrel.api.kernel.BufferUsage;
import dev.petrel.api.kernel.ComputeStream;
import dev.petrel.api.kernel.KernelBackend;
import dev.petrel.api.kernel.Tensor;
import dev.petrel.api.weights.TensorType;
import dev.petrel.quant.kernel.QuantKernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A prompt-sized matmul: more tokens than one tile of activations (the Vector API backend
 * passes each chunk of weight rows over the batch a tile at a time), against the reference.
 */
class LargeMatmulTest {

    @Test
    void matmul_overSeveralActivationTiles_matchesReference() {
        int nIn = 4096;
        int nOut = 40;
        int tokens = 130;
        VectorKernelBackend vector = VectorKernelBackend.standalone(2);
        ScalarKernelBackend scalar = ScalarKernelBackend.standalone();
        try (Arena arena = Arena.ofShared()) {
            Random random = new Random(11);
            float[] w = new float[nIn * nOut];
            float[] x = new float[nIn * tokens];
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) (random.nextGaussian() / 64);
            }
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) random.nextGaussian();
            }
            long rowBytes = TensorType.Q8_0.rowBytes(nIn);
            MemorySegment data = arena.allocate(rowBytes * nOut);
            for (int r = 0; r < nOut; r++) {
                QuantKernel.scalar(TensorType.Q8_0).quantize(w, r * nIn, data, r * rowBytes, nIn);
            }
            float[] expected = run(scalar, data, x, nIn, nOut, tokens);
            float[] actual = run(vector, data, x, nIn, nOut, tokens);
            double error = 0;
            double norm = 0;
            for (int i = 0; i < expected.length; i++) {
                error += Math.pow(actual[i] - expected[i], 2);
                norm += Math.pow(expected[i], 2);
            }
            assertTrue(norm > 0 && error / norm <= 1e-7, "NMSE " + error / norm);
        } finally {
            vector.shutdown(Duration.ZERO);
            scalar.shutdown(Duration.ZERO);
        }
    }

    private static float[] run(KernelBackend backend, MemorySegment weights, float[] input, int nIn, int nOut,
            int tokens) {
        try (ComputeStream stream = backend.openStream()) {
            Tensor w = backend.uploadWeights("w", TensorType.Q8_0, new long[] {nIn, nOut}, weights);
            Tensor x = backend.allocate("x", BufferUsage.COMPUTE, TensorType.F32, nIn, tokens);
            Tensor out = backend.allocate("out", BufferUsage.COMPUTE, TensorType.F32, nOut, tokens);
            stream.write(MemorySegment.ofArray(input), x);
            stream.matmul(w, x, out);
            float[] result = stream.readFloats(out);
            w.close();
            x.close();
            out.close();
            return result;
        }
    }
}
