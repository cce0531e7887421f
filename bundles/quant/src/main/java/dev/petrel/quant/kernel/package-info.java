/**
 * Tensor formats read in place and the fused dot-product kernels a kernel backend builds its
 * matmuls from: {@link dev.petrel.quant.kernel.QuantKernel} and one class per format
 * ({@link dev.petrel.quant.kernel.F32Kernel}, {@link dev.petrel.quant.kernel.F16Kernel},
 * {@link dev.petrel.quant.kernel.BF16Kernel}, {@link dev.petrel.quant.kernel.Q8_0Kernel},
 * {@link dev.petrel.quant.kernel.Q4_0Kernel}, {@link dev.petrel.quant.kernel.F8E4M3Kernel}), each with a Vector API instance and the scalar
 * reference it is tested against.
 *
 * <p>Plain Java: usable without OSGi by tools and by other bundles' tests. Needs
 * {@code --add-modules jdk.incubator.vector}.
 */
@Export
@Version("1.2.0")
package dev.petrel.quant.kernel;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
