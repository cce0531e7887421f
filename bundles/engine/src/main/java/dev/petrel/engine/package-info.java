/**
 * The engine service and what it hands out: loaded models, sessions (KV cache, batched
 * prompt, generation loop, streaming text) and the move of both between kernel backends.
 */
package dev.petrel.engine;
