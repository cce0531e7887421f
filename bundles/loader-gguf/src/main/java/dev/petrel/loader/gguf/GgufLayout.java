package dev.petrel.loader.gguf;

import dev.petrel.api.weights.TensorType;

/** Layout rules that the reader and the writer share, as llama.cpp's gguf code applies them. */
final class GgufLayout {

    /** "GGUF" as stored at the start of the file. */
    static final byte[] MAGIC = {'G', 'G', 'U', 'F'};

    /** The version the writer produces; v2 has the same layout and is read as well. */
    static final int WRITTEN_VERSION = 3;

    static final String ALIGNMENT_KEY = "general.alignment";

    static final int DEFAULT_ALIGNMENT = 32;

    /** ggml tensors have at most four dimensions. */
    static final int MAX_DIMS = 4;

    private GgufLayout() {
    }

    static boolean isValidAlignment(long alignment) {
        return alignment > 0 && (alignment & (alignment - 1)) == 0;
    }

    /** {@code position} rounded up to a multiple of {@code alignment} (a power of two). */
    static long alignUp(long position, long alignment) {
        return Math.addExact(position, alignment - 1) & -alignment;
    }

    /**
     * Bytes of a tensor of {@code type} with {@code dims} (contiguous first).
     *
     * @throws IllegalArgumentException if a row is not a whole number of blocks
     * @throws ArithmeticException if the element count or the size does not fit a long
     */
    static long tensorBytes(TensorType type, long[] dims) {
        long elements = elementCount(dims);
        return Math.multiplyExact(type.rowBytes(dims[0]), elements / dims[0]);
    }

    /** @throws ArithmeticException if the product does not fit a long */
    static long elementCount(long[] dims) {
        long n = 1;
        for (long d : dims) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }
}
