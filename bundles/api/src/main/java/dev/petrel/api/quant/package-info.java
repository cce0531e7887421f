/**
 * Quantization formats: how a {@link dev.petrel.api.weights.TensorType} stores numbers in
 * blocks, as services.
 *
 * <p>Each {@link dev.petrel.api.quant.QuantFormat} is registered with the service property
 * {@code type} (for example {@code type=Q8_0}), so a bundle adds a format without touching
 * the others. Formats give the reference (scalar, bit-exact with ggml) dequantization,
 * quantization and dot product; kernel backends use them as their control and may run
 * faster kernels of their own that agree with them.
 */
@Export
@Version("1.0.0")
package dev.petrel.api.quant;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
