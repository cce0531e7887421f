/**
 * Feed-forward blocks as services: the dense SwiGLU network and the mixture of experts.
 * Private to the bundle: other bundles see only {@link dev.petrel.api.experts}.
 */
package dev.petrel.experts;
