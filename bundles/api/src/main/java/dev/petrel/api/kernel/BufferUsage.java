package dev.petrel.api.kernel;

/** What a tensor's memory is for; backends may place and account for each kind apart. */
public enum BufferUsage {
    /**
     * Model weights: written once, then read only by the ops. A host backend may keep the
     * mapped file's bytes in place instead of copying them.
     */
    WEIGHTS,
    /** Activations and other per-step values, read and written by the ops. */
    COMPUTE,
    /** Key/value caches: written a few rows per step, kept for a session's life. */
    CACHE
}
