package dev.petrel.kernels.java;

import dev.petrel.api.kernel.BufferUsage;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/** Bytes held per buffer usage, for {@link dev.petrel.api.kernel.KernelBackend#allocatedBytes}. */
final class MemoryLedger {

    private final Map<BufferUsage, AtomicLong> bytes = new EnumMap<>(BufferUsage.class);

    MemoryLedger() {
        for (BufferUsage usage : BufferUsage.values()) {
            bytes.put(usage, new AtomicLong());
        }
    }

    void add(BufferUsage usage, long amount) {
        bytes.get(usage).addAndGet(amount);
    }

    void subtract(BufferUsage usage, long amount) {
        bytes.get(usage).addAndGet(-amount);
    }

    long held(BufferUsage usage) {
        return bytes.get(usage).get();
    }
}
