/**
 * GGUF files: a memory-mapped reader ({@link dev.petrel.loader.gguf.GgufFile}) for versions 2
 * and 3, and a writer ({@link dev.petrel.loader.gguf.GgufWriter}) of version 3 that llama.cpp
 * loads. Plain Java, usable without OSGi by tools and by the tests of other bundles.
 *
 * <p>Metadata values keep their exact GGUF type ({@link dev.petrel.loader.gguf.GgufValue}),
 * so a file read and written back has the same metadata, type for type.
 */
@Export
@Version("1.0.0")
package dev.petrel.loader.gguf;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
