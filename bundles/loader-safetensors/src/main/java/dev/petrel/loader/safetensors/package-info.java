/**
 * Hugging Face model folders: {@link dev.petrel.loader.safetensors.SafetensorsFile} reads one
 * memory-mapped {@code .safetensors} file and validates its header;
 * {@link dev.petrel.loader.safetensors.HfModelFolder} presents a folder (config.json, shards,
 * FP8 block scales) as the weight source its GGUF conversion would be. Plain Java, usable
 * without OSGi by tools and by other bundles' tests.
 */
@Export
@Version("1.0.0")
package dev.petrel.loader.safetensors;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
