package dev.petrel.kernels.java;

/**
 * Configuration of the Java kernel backends, through Config Admin (PIDs
 * {@code dev.petrel.kernels.java} and {@code dev.petrel.kernels.java.scalar}) or component
 * properties. {@code service.ranking} may be set the same way. A new configuration restarts the
 * backend: Felix SCR does not rebind a greedy reference when only the ranking of a registered
 * service changes, but it does when the backend comes back with the new ranking.
 */
public @interface JavaKernelConfig {

    /** Threads that run one op, the caller included ({@code threads}); 0 or less: one per processor. */
    int threads() default 0;

    /**
     * How long deactivation waits for open leases before it frees the memory, in milliseconds
     * ({@code lease.timeout.ms}).
     */
    long lease_timeout_ms() default 5000;
}
