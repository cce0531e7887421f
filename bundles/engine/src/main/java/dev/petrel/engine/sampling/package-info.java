/** Token sampling: llama.cpp's chain of penalties, top-k, top-p, min-p, temperature and a seeded draw. */
package dev.petrel.engine.sampling;
