/**
 * Model references and downloads. {@link dev.petrel.models.ModelResolver} turns what a user
 * passes as {@code --model} into a local file: a path as it is, or a Hugging Face reference
 * ({@code hf://owner/repo/file.gguf}, {@code hf://owner/repo@revision/file.gguf}) downloaded
 * once into the user cache, with a progress bar, resume of an interrupted transfer, and size
 * and SHA-256 checks. {@link dev.petrel.models.ModelResolver#DEFAULT_MODEL} is the model
 * Petrel runs when none is named.
 */
@Export
@Version("1.0.0")
package dev.petrel.models;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
