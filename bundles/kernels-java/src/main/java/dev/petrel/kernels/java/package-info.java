/**
 * The two pure-Java kernel backends, private to this bundle.
 *
 * <ul>
 *   <li>{@link dev.petrel.kernels.java.VectorKernelBackend} ({@code kernel=java}, ranking 100):
 *       Vector API kernels on a pool of worker threads;</li>
 *   <li>{@link dev.petrel.kernels.java.ScalarKernelBackend} ({@code kernel=java-scalar},
 *       ranking 10): the plain single-threaded reference every backend is checked against.</li>
 * </ul>
 *
 * Both share {@link dev.petrel.kernels.java.HostBackend}: tensors in host memory (weights from
 * a mapped file used in place), the stream that checks every op's operands, scratch and
 * workspace memory reused from step to step, and the lifecycle (leases, a bounded drain on
 * deactivation, then every byte freed and every use refused). They differ only in their
 * {@link dev.petrel.kernels.java.OpKernels}.
 *
 * <p>Numerics follow ggml-cpu, so that the engine matches llama.cpp: quantized and half
 * matmuls convert the activation to the weight's dot type first (the quant bundle's kernels);
 * RMS norm sums squares in double; softmax subtracts the maximum, takes exponentials in float
 * and sums them in double; RoPE builds its angles as ggml's rope cache (YaRN included);
 * attention over an F16/BF16 cache rounds the query and the probabilities to the cache type,
 * as ggml's two matmuls do.
 */
package dev.petrel.kernels.java;
