/**
 * Attention strategies as services ({@code attention=gqa}, {@code mla-naive},
 * {@code mla-absorbed}) and the KV cache layout they share: one tensor per layer for keys and
 * one for values, positions outermost; MLA keeps one latent tensor per layer read as both.
 * Private to the bundle: other bundles see only {@link dev.petrel.api.attention}.
 */
package dev.petrel.attention;
