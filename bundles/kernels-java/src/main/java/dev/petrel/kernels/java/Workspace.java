package dev.petrel.kernels.java;

import dev.petrel.api.kernel.BufferUsage;
import java.lang.foreign.MemorySegment;

/**
 * A stream's reusable working memory for kernels: byte buffers (activations quantized to a
 * weight's dot type) and float arrays per participant of a parallel op (score rows,
 * dequantized rows). Grown on demand, never shrunk, so a steady forward pass allocates
 * nothing per op.
 */
public final class Workspace {

    /** Byte slots: activations quantized for a matmul. */
    public static final int QUANTIZED_ACTIVATIONS = 0;
    /** Byte slots: any second buffer an op needs. */
    public static final int SECOND_BYTES = 1;
    private static final int BYTE_SLOTS = 2;
    private static final int FLOAT_SLOTS = 4;
    private static final int SHARED_FLOAT_SLOTS = 2;

    private final HostBackend backend;
    private final TensorMemory[] bytes = new TensorMemory[BYTE_SLOTS];
    private final float[][][] floats;
    private final float[][] sharedFloats = new float[SHARED_FLOAT_SLOTS][];
    private final TensorMemory[] participantBytes;

    Workspace(HostBackend backend, int participants) {
        this.backend = backend;
        this.floats = new float[participants][FLOAT_SLOTS][];
        this.participantBytes = new TensorMemory[participants];
    }

    /** Native bytes of at least {@code size} in a slot shared by all participants, content undefined. */
    public MemorySegment shared(int slot, long size) {
        TensorMemory memory = bytes[slot];
        if (memory == null || memory.byteSize() < size) {
            if (memory != null) {
                memory.free();
            }
            long grown = Math.max(size, memory == null ? 0 : memory.byteSize() * 3 / 2);
            memory = backend.allocateMemory("workspace", BufferUsage.COMPUTE, grown);
            bytes[slot] = memory;
        }
        return memory.segment();
    }

    /** A float array of at least {@code size} shared by all participants of an op (slot 0 or 1). */
    public float[] sharedFloats(int slot, int size) {
        float[] array = sharedFloats[slot];
        if (array == null || array.length < size) {
            array = new float[size];
            sharedFloats[slot] = array;
        }
        return array;
    }

    /** A float array of at least {@code size} owned by one participant of a parallel op. */
    public float[] floats(int participant, int slot, int size) {
        float[] array = floats[participant][slot];
        if (array == null || array.length < size) {
            array = new float[size];
            floats[participant][slot] = array;
        }
        return array;
    }

    /**
     * Native bytes of at least {@code size} owned by one participant (a query row converted to
     * a cache's dot type). Native like every other segment the kernels see: the JIT compiles the
     * Vector API's segment loads for one segment class, and a heap segment among native ones
     * makes those loads slow everywhere.
     */
    public MemorySegment bytes(int participant, int size) {
        TensorMemory memory = participantBytes[participant];
        if (memory == null || memory.byteSize() < size) {
            if (memory != null) {
                memory.free();
            }
            memory = backend.allocateMemory("workspace", BufferUsage.COMPUTE, Math.max(size, 64));
            participantBytes[participant] = memory;
        }
        return memory.segment();
    }

    /** How many participants may ask for float arrays at once. */
    public int participants() {
        return floats.length;
    }

    void close() {
        free(bytes);
        free(participantBytes);
    }

    private static void free(TensorMemory[] memories) {
        for (int i = 0; i < memories.length; i++) {
            if (memories[i] != null) {
                memories[i].free();
                memories[i] = null;
            }
        }
    }
}
