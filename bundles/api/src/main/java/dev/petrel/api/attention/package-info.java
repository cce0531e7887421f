/**
 * Attention strategies and their key/value caches, running on a
 * {@link dev.petrel.api.kernel.KernelBackend}.
 *
 * <p>An {@link dev.petrel.api.attention.AttentionStrategy} is a service with the property
 * {@code attention}: {@code gqa} (multi-head and grouped-query attention), {@code mla-naive}
 * (DeepSeek's multi-head latent attention, keys and values decompressed from the latent
 * cache) and {@code mla-absorbed} (the same with the up-projections absorbed into the query
 * and output side). Both MLA strategies share one cache layout, holding only the compressed
 * latent and the rope key per token and layer, and compute the same function.
 */
@Export
@Version("1.0.0")
package dev.petrel.api.attention;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
