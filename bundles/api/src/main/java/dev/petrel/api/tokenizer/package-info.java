/**
 * Tokenizers: text to token ids and back, exactly as a model's reference tokenizer does.
 *
 * <p>A {@link dev.petrel.api.tokenizer.TokenizerFactory} builds a
 * {@link dev.petrel.api.tokenizer.Tokenizer} from GGUF metadata ({@code tokenizer.ggml.*})
 * or from a Hugging Face folder ({@code tokenizer.json}, {@code tokenizer_config.json}).
 */
@Export
@Version("1.0.0")
package dev.petrel.api.tokenizer;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
