package dev.petrel.api.kernel;

import java.util.Objects;
import java.util.Set;

/**
 * What a kernel backend computes on.
 *
 * @param name the device, for example {@code cpu} or {@code NVIDIA H200}
 * @param kind the kind of backend: {@code java} (any pure-Java backend) or {@code cuda}
 * @param memoryBytes memory the backend can allocate tensors in (heap and off-heap for Java,
 *        device memory for CUDA)
 * @param computeUnits parallel units: worker threads for Java, streaming multiprocessors for
 *        CUDA
 * @param hostMemory whether tensors live in host memory, so weights mapped from a file can
 *        be used in place instead of copied
 * @param capabilities free-form feature tags, for example {@code vector-api},
 *        {@code vector-bits=512}, {@code f16}, {@code bf16}, {@code fp8},
 *        {@code compute-capability=9.0}
 */
public record Device(String name, String kind, long memoryBytes, int computeUnits, boolean hostMemory,
        Set<String> capabilities) {

    public Device {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(kind, "kind");
        if (memoryBytes < 0 || computeUnits < 1) {
            throw new IllegalArgumentException(
                    "device " + name + ": memory " + memoryBytes + " and compute units " + computeUnits);
        }
        capabilities = Set.copyOf(capabilities);
    }

    public boolean has(String capability) {
        return capabilities.contains(capability);
    }
}
