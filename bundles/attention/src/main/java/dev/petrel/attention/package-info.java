/**
 * Attention strategies as services ({@code attention=gqa}; MLA joins here) and the KV cache
 * layout they share: one tensor per layer for keys and one for values, positions outermost.
 * Private to the bundle: other bundles see only {@link dev.petrel.api.attention}.
 */
package dev.petrel.attention;
