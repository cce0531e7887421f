package dev.petrel.api.weights;

import java.util.Optional;

/**
 * Element and block types of tensor data, numbered as ggml numbers them so GGUF type ids
 * map one to one. Types that GGUF does not know (FP8 from safetensors) have id -1.
 *
 * <p>A block type stores {@link #blockSize()} elements in {@link #blockBytes()} bytes;
 * plain types have a block size of 1.
 */
public enum TensorType {
    F32(0, 1, 4),
    F16(1, 1, 2),
    Q4_0(2, 32, 18),
    Q4_1(3, 32, 20),
    Q5_0(6, 32, 22),
    Q5_1(7, 32, 24),
    Q8_0(8, 32, 34),
    Q8_1(9, 32, 36),
    Q2_K(10, 256, 84),
    Q3_K(11, 256, 110),
    Q4_K(12, 256, 144),
    Q5_K(13, 256, 176),
    Q6_K(14, 256, 210),
    Q8_K(15, 256, 292),
    IQ2_XXS(16, 256, 66),
    IQ2_XS(17, 256, 74),
    IQ3_XXS(18, 256, 98),
    IQ1_S(19, 256, 50),
    IQ4_NL(20, 32, 18),
    IQ3_S(21, 256, 110),
    IQ2_S(22, 256, 82),
    IQ4_XS(23, 256, 136),
    I8(24, 1, 1),
    I16(25, 1, 2),
    I32(26, 1, 4),
    I64(27, 1, 8),
    F64(28, 1, 8),
    IQ1_M(29, 256, 56),
    BF16(30, 1, 2),
    TQ1_0(34, 256, 54),
    TQ2_0(35, 256, 66),
    MXFP4(39, 32, 17),
    /** FP8 E4M3 (safetensors {@code F8_E4M3}); scaled per block by a separate tensor. */
    F8_E4M3(-1, 1, 1),
    /** FP8 E5M2 (safetensors {@code F8_E5M2}). */
    F8_E5M2(-1, 1, 1);

    private final int ggmlId;
    private final int blockSize;
    private final int blockBytes;

    TensorType(int ggmlId, int blockSize, int blockBytes) {
        this.ggmlId = ggmlId;
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
    }

    /** The ggml/GGUF type id, or -1 for types GGUF cannot store. */
    public int ggmlId() {
        return ggmlId;
    }

    /** Elements per block (1 for plain types). */
    public int blockSize() {
        return blockSize;
    }

    /** Bytes per block. */
    public int blockBytes() {
        return blockBytes;
    }

    /** Whether the type packs elements in blocks with shared scales. */
    public boolean isBlockQuantized() {
        return blockSize > 1;
    }

    /**
     * Bytes taken by one row of {@code elements} elements.
     *
     * @throws IllegalArgumentException if the row is not a whole number of blocks
     * @throws ArithmeticException if the size does not fit a long
     */
    public long rowBytes(long elements) {
        if (elements < 0 || elements % blockSize != 0) {
            throw new IllegalArgumentException(
                    name() + " row of " + elements + " elements is not a multiple of the block size " + blockSize);
        }
        return Math.multiplyExact(elements / blockSize, (long) blockBytes);
    }

    /** The type with this ggml id, if Petrel knows it. */
    public static Optional<TensorType> ofGgmlId(int id) {
        if (id < 0) {
            return Optional.empty();
        }
        for (TensorType t : values()) {
            if (t.ggmlId == id) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }
}
