/**
 * Kernel backends: where tensors live and where operations run, drawn as ggml-backend draws
 * it.
 *
 * <p>A {@link dev.petrel.api.kernel.KernelBackend} is a service with the property
 * {@code kernel} ({@code java}, {@code java-scalar}, {@code cuda}) and a
 * {@code service.ranking}. It describes its {@link dev.petrel.api.kernel.Device}, holds
 * {@link dev.petrel.api.kernel.Tensor}s in buffers for weights, compute and caches, answers
 * {@link dev.petrel.api.kernel.KernelBackend#supports supports(op, types)} and runs the
 * {@link dev.petrel.api.kernel.Op}s enqueued on a {@link dev.petrel.api.kernel.ComputeStream}.
 * The engine writes the forward pass once against this contract; only logits (or a sampled
 * token) come back to the heap each step.
 *
 * <h2>Shapes</h2>
 * Dimensions are contiguous first, as in {@link dev.petrel.api.weights.TensorInfo}: a tensor
 * {@code {n, T}} is {@code T} rows of {@code n} elements. A weight {@code y = W x} with
 * {@code n_in} inputs and {@code n_out} outputs has dims {@code {n_in, n_out}}; an activation
 * batch of {@code T} tokens has dims {@code {n_in, T}}. Activations are F32; token ids and
 * expert ids are I32; caches are F32, F16 or BF16.
 *
 * <h2>Hot swap</h2>
 * A request holds a {@link dev.petrel.api.kernel.Lease} on the backend it runs on. A
 * departing backend refuses new leases, waits (bounded) until its open leases are closed,
 * then frees its memory; operations on it afterwards throw
 * {@link dev.petrel.api.kernel.BackendUnavailableException}. The engine moves state between
 * backends at token boundaries with
 * {@link dev.petrel.api.kernel.KernelBackend#transfer(Tensor)}.
 *
 * <h2>Conformance (the backend TCK)</h2>
 * Every op of every backend is checked against the scalar reference backend
 * ({@code kernel=java-scalar}) on random inputs: activations drawn from N(0, 1), weights from
 * N(0, 1/sqrt(n_in)) quantized with the reference {@link dev.petrel.api.quant.QuantFormat},
 * inputs of ARGMAX and MOE_ROUTE free of near ties. The error is the normalised mean squared
 * error {@code NMSE = sum((out - ref)^2) / sum(ref^2)} over the output tensor.
 * <ul>
 *   <li>Bit-identical on every backend: COPY, CONCAT, ADD, MUL, SCALE, ARGMAX, the ids of
 *       MOE_ROUTE and {@code write}/{@code read} round trips; GET_ROWS on Java backends.</li>
 *   <li>NMSE &le; 1e-7: every other op on Java backends, whatever the types (a Java backend
 *       quantizes activations to the weight's dot type exactly as the reference does, so
 *       only the summation order differs); on other backends, every other op whose operands
 *       are all F32.</li>
 *   <li>NMSE &le; 5e-4: on other backends (CUDA), MATMUL, MATMUL_HEADS, MATMUL_EXPERTS and
 *       GET_ROWS with F16, BF16, FP8 or block-quantized weights, and ATTENTION over an F16
 *       or BF16 cache.</li>
 * </ul>
 * End to end, two Java backends produce the same greedy tokens; a CUDA backend produces the
 * same greedy tokens as Java on the conformance models, logits within 1e-2.
 */
@Export
@Version("1.0.0")
package dev.petrel.api.kernel;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
