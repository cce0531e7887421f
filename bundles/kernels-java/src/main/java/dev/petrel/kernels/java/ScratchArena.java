package dev.petrel.kernels.java;

import dev.petrel.api.kernel.BufferUsage;
import dev.petrel.api.weights.TensorType;
import java.util.ArrayList;
import java.util.List;

/**
 * A stream's scratch memory: a bump allocator over chunks of compute memory. A forward pass
 * asks for the same temporaries every step, so after the first step everything fits in one
 * chunk and {@link #reset()} costs nothing; chunks added while it grew are merged at reset.
 */
final class ScratchArena {

    private static final long ALIGNMENT = 64;
    private static final long FIRST_CHUNK = 1 << 20;

    private final HostBackend backend;
    private final List<TensorMemory> chunks = new ArrayList<>();
    private long used;
    private long usedInLastChunk;
    private volatile long epoch;
    private boolean closed;

    ScratchArena(HostBackend backend) {
        this.backend = backend;
    }

    HostTensor take(String name, TensorType type, long[] dims) {
        if (closed) {
            throw new IllegalStateException("scratch tensor " + name + " requested from a closed stream");
        }
        Dims.check(name, dims);
        long bytes = Math.multiplyExact(type.rowBytes(dims[0]), Dims.elementCount(name, dims) / dims[0]);
        long aligned = Math.ceilDiv(Math.max(bytes, 1), ALIGNMENT) * ALIGNMENT;
        TensorMemory chunk = chunks.isEmpty() ? null : chunks.getLast();
        if (chunk == null || usedInLastChunk + aligned > chunk.byteSize()) {
            long size = Math.max(aligned, Math.max(FIRST_CHUNK, chunk == null ? 0 : chunk.byteSize()));
            chunk = backend.allocateMemory("scratch", BufferUsage.COMPUTE, size);
            chunks.add(chunk);
            usedInLastChunk = 0;
        }
        HostTensor tensor = new HostTensor(backend, chunk, usedInLastChunk, name, type, dims.clone(), null, false, this,
                epoch);
        usedInLastChunk += aligned;
        used += aligned;
        return tensor;
    }

    /** Invalidates every scratch tensor; keeps one chunk as large as this step needed. */
    void reset() {
        epoch++;
        if (chunks.size() > 1) {
            long total = 0;
            for (TensorMemory chunk : chunks) {
                total += chunk.byteSize();
                chunk.free();
            }
            chunks.clear();
            chunks.add(backend.allocateMemory("scratch", BufferUsage.COMPUTE, Math.max(total, used)));
        }
        used = 0;
        usedInLastChunk = 0;
    }

    void checkEpoch(long tensorEpoch, String name) {
        if (tensorEpoch != epoch || closed) {
            throw new IllegalStateException("scratch tensor " + name + " used after resetScratch() or close()");
        }
    }

    void close() {
        closed = true;
        epoch++;
        for (TensorMemory chunk : chunks) {
            chunk.free();
        }
        chunks.clear();
    }
}
