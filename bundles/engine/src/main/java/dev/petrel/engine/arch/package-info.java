/**
 * Model architectures as services ({@code arch=llama}, {@code qwen2}, {@code qwen3}): their
 * hyperparameters from metadata keys, the checks of every tensor against them, and the dense
 * decoder forward pass they share ({@link dev.petrel.engine.arch.DenseDecoder}).
 */
package dev.petrel.engine.arch;
