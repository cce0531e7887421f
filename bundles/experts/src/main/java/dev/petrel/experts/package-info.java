/**
 * Feed-forward blocks as services: the dense SwiGLU network (mixture-of-experts joins here).
 * Private to the bundle: other bundles see only {@link dev.petrel.api.experts}.
 */
package dev.petrel.experts;
