package dev.petrel.api.quant;

import dev.petrel.api.weights.TensorType;
import java.lang.foreign.MemorySegment;
import org.osgi.annotation.versioning.ProviderType;

/**
 * One tensor data format: its blocks, its reference codec and the type activations take in a
 * dot product with it. Registered as a service with the property {@code type} set to the
 * {@link TensorType} name ({@code type=Q8_0}).
 *
 * <p>Data is addressed as rows: a tensor with {@code dims = {rowLength, ...}} is a sequence of
 * rows of {@link TensorType#rowBytes(long) type().rowBytes(rowLength)} bytes each, the first at
 * offset 0 of its segment. Bytes are little-endian; blocks are laid out as ggml lays them, so
 * GGUF data is read in place. Dequantization and quantization are bit-exact with ggml's
 * reference functions ({@code dequantize_row_*}, {@code quantize_row_*_ref}); dot products
 * agree with ggml's {@code vec_dot_*} up to float summation order.
 *
 * <p>Instances are stateless and thread-safe.
 */
@ProviderType
public interface QuantFormat {

    /** Service property naming the {@link TensorType} a format handles. */
    String TYPE = "type";

    /** The type this format encodes. */
    TensorType type();

    /**
     * The type an activation row is quantized to before a dot product with a row of this
     * format (ggml's {@code vec_dot_type}): {@code Q8_0} for {@code Q8_0} and {@code Q4_0},
     * {@code Q8_K} for the K-quants, {@code F16} for {@code F16}, {@code BF16} for
     * {@code BF16}, {@code F32} for {@code F32} and FP8. Kernels quantize activations to this
     * type so that their results agree with llama.cpp.
     */
    TensorType dotType();

    /** Elements per block. */
    default int blockSize() {
        return type().blockSize();
    }

    /** Bytes per block. */
    default int blockBytes() {
        return type().blockBytes();
    }

    /**
     * Whether values need {@link BlockScales} from a separate tensor (FP8 E4M3 weights with
     * {@code weight_scale_inv}). Other formats carry their scales inside their blocks.
     */
    default boolean blockScaled() {
        return false;
    }

    /**
     * Dequantizes rows {@code [firstRow, firstRow + rowCount)} into
     * {@code dst[dstOffset .. dstOffset + rowCount * rowLength)}, row after row.
     *
     * @param data the whole tensor's bytes (for example a {@code WeightSource.data} view)
     * @param rowLength elements per row, a multiple of {@link #blockSize()}
     * @param scales the block scales when {@link #blockScaled()}, otherwise ignored (may be null)
     * @throws IllegalArgumentException if the rows lie outside {@code data} or {@code dst},
     *         or scales are missing for a block-scaled format
     */
    void dequantize(MemorySegment data, int rowLength, long firstRow, int rowCount, BlockScales scales,
            float[] dst, int dstOffset);

    /**
     * Quantizes {@code rowCount} rows of {@code rowLength} floats from
     * {@code src[srcOffset ..]} into {@code dst} at byte {@code dstOffset}, as ggml's
     * reference quantizer does (round to nearest, ggml's scale choice). Used by writers,
     * tests and kernels that quantize activations to a {@link #dotType()}.
     *
     * @return for a block-scaled format the scales it chose (a heap segment, blocks of the
     *         format's usual shape, 128 × 128 for FP8), otherwise null
     */
    BlockScales quantize(float[] src, int srcOffset, int rowLength, int rowCount, MemorySegment dst, long dstOffset);

    /**
     * The dot product of {@code count} elements of a row in this format (at byte
     * {@code wOffset} of {@code w}) with {@code count} elements in {@link #dotType()} format
     * (at byte {@code xOffset} of {@code x}), computed in the integer or float arithmetic
     * ggml uses for the pair. {@code count} is a multiple of {@link #blockSize()} and both
     * offsets start a block.
     *
     * <p>For a block-scaled format the result is unscaled: callers pass one scale block
     * ({@code count <= blockColumns}, aligned to it) at a time and multiply by its scale.
     */
    float dot(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int count);
}
