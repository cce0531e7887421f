/**
 * Models, sessions and generation.
 *
 * <p>The {@link dev.petrel.api.engine.Engine} service loads a model file: it opens it with a
 * {@link dev.petrel.api.weights.WeightSourceProvider}, builds its tokenizer, finds the
 * {@link dev.petrel.api.engine.ModelArchitecture} service whose {@code arch} property equals
 * {@code general.architecture}, which reads the hyperparameters into a
 * {@link dev.petrel.api.engine.ModelConfig} and places the weights on the bound
 * {@link dev.petrel.api.kernel.KernelBackend} as a {@link dev.petrel.api.engine.ForwardPass}.
 * The engine writes sessions, sampling and backend swaps once, on top of any forward pass.
 * A {@link dev.petrel.api.engine.Model} opens
 * {@link dev.petrel.api.engine.Session}s, each with its own KV cache; a session processes
 * prompts as batches and generates tokens, streaming them to a
 * {@link dev.petrel.api.engine.TokenListener}. {@link dev.petrel.api.engine.ChatTemplate}
 * renders chat messages with the model's Jinja template.
 */
@Export
@Version("1.0.0")
package dev.petrel.api.engine;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
