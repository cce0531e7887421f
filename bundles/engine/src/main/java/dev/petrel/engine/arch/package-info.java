/**
 * Model architectures as services ({@code arch=llama}, {@code qwen2}, {@code qwen3},
 * {@code qwen2moe}, {@code qwen3moe}): their hyperparameters from metadata keys (the
 * mixture-of-experts keys through {@link dev.petrel.engine.arch.MoeKeys}), the checks of every
 * tensor against them, and the decoder forward pass they share
 * ({@link dev.petrel.engine.arch.DenseDecoder}), whose feed-forward is dense or a mixture of
 * experts; {@code arch=deepseek2} has a forward pass of its own
 * ({@link dev.petrel.engine.arch.DeepSeek2Architecture}: multi-head latent attention and
 * DeepSeekMoE).
 */
package dev.petrel.engine.arch;
