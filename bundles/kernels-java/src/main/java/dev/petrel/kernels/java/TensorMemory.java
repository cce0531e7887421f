package dev.petrel.kernels.java;

import dev.petrel.api.kernel.BufferUsage;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One block of tensor memory and its views' common fate: allocated by the backend (it owns
 * the arena) or borrowed in place (a mapped weight: the caller owns it, the backend only
 * stops using it).
 */
final class TensorMemory {

    private final HostBackend backend;
    private final String name;
    private final MemorySegment segment;
    private final Arena arena;
    private final BufferUsage usage;
    private final AtomicBoolean freed = new AtomicBoolean();
    /** The kernels' repacked copy of the rows (see {@link OpKernels#repackWeights}), or null. */
    private volatile MemorySegment packed;
    private Arena packedArena;
    private int packedRowLength;
    private long packedBytes;

    private TensorMemory(HostBackend backend, String name, MemorySegment segment, Arena arena, BufferUsage usage) {
        this.backend = backend;
        this.name = name;
        this.segment = segment;
        this.arena = arena;
        this.usage = usage;
    }

    /** Zeroed memory of {@code bytes}, aligned for vector loads. */
    static TensorMemory allocate(HostBackend backend, String name, BufferUsage usage, long bytes) {
        Arena arena = Arena.ofShared();
        try {
            return new TensorMemory(backend, name, arena.allocate(Math.max(bytes, 1), 64), arena, usage);
        } catch (OutOfMemoryError | IllegalArgumentException e) {
            arena.close();
            throw new dev.petrel.api.PetrelException(
                    "kernel backend " + backend.name() + ": cannot allocate " + bytes + " bytes for tensor " + name, e);
        }
    }

    /** Memory the caller keeps valid (a mapped weight), used in place. */
    static TensorMemory borrow(HostBackend backend, String name, BufferUsage usage, MemorySegment segment) {
        return new TensorMemory(backend, name, segment, null, usage);
    }

    MemorySegment segment() {
        return segment;
    }

    BufferUsage usage() {
        return usage;
    }

    long byteSize() {
        return segment.byteSize();
    }

    boolean isBorrowed() {
        return arena == null;
    }

    boolean isFreed() {
        return freed.get();
    }

    void checkOpen(String tensorName) {
        if (freed.get()) {
            backend.checkUsable();
            throw new IllegalStateException("tensor " + tensorName + " is closed (memory of " + name + ")");
        }
    }

    /**
     * Attaches a repacked copy of rows of {@code rowLength} elements, owned by {@code owner}
     * from now on; false (and nothing attached) when the memory is already freed.
     */
    synchronized boolean attachPacked(MemorySegment copy, Arena owner, int rowLength) {
        if (freed.get()) {
            return false;
        }
        packedArena = owner;
        packedRowLength = rowLength;
        packedBytes = copy.byteSize();
        packed = copy;
        return true;
    }

    /** The repacked copy if its rows have {@code rowLength} elements, else null. */
    MemorySegment packed(int rowLength) {
        MemorySegment copy = packed;
        return copy != null && packedRowLength == rowLength ? copy : null;
    }

    /** Bytes of the repacked copy, attached or stale, until the memory is freed. */
    synchronized long packedBytes() {
        return packedBytes;
    }

    /** Stops using the repacked copy (the bytes were written): it is freed with the memory. */
    void discardPacked() {
        packed = null;
    }

    /** Frees the memory once; the backend forgets it. */
    void free() {
        if (freed.compareAndSet(false, true)) {
            backend.forget(this);
            if (arena != null) {
                arena.close();
            }
            synchronized (this) {
                packed = null;
                if (packedArena != null) {
                    packedArena.close();
                }
            }
        }
    }
}
