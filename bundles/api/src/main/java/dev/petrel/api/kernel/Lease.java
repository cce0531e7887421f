package dev.petrel.api.kernel;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A claim that a backend stays usable. A request takes one on the backend it runs on, and
 * closes it when it ends or moves to another backend; a departing backend waits (bounded) for
 * its open leases before it frees its memory.
 */
@ProviderType
public interface Lease extends AutoCloseable {

    /** The backend this lease holds. */
    KernelBackend backend();

    /** Releases the lease; closing it again does nothing. */
    @Override
    void close();
}
