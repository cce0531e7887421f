/**
 * Weight sources: a model file's metadata and its named tensors, whatever the file format.
 *
 * <p>A {@link dev.petrel.api.weights.WeightSourceProvider} (one per format: GGUF,
 * safetensors) opens a path into a {@link dev.petrel.api.weights.WeightSource}. Opening
 * reads the header only; tensor data is memory-mapped and read in place by the kernels.
 */
@Export
@Version("1.1.0")
package dev.petrel.api.weights;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
