/**
 * Feed-forward blocks on a {@link dev.petrel.api.kernel.KernelBackend}: the dense SwiGLU
 * network ({@link dev.petrel.api.experts.FeedForward}) and the mixture of experts
 * ({@link dev.petrel.api.experts.Experts}): a router choosing a few routed experts per token
 * (softmax or sigmoid scoring with a selection-only bias, group-limited top-k,
 * normalisation, routed scaling), plus shared experts every token goes through. Only the
 * chosen experts' weights are read for a token.
 */
@Export
@Version("1.0.0")
package dev.petrel.api.experts;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
