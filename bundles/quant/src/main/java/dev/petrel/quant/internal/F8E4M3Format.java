package dev.petrel.quant.internal;

import dev.petrel.api.quant.BlockScales;
import dev.petrel.api.quant.QuantFormat;
import dev.petrel.api.weights.TensorType;
import dev.petrel.quant.kernel.F8E4M3Kernel;
import java.lang.foreign.MemorySegment;
import java.util.Objects;
import org.osgi.service.component.annotations.Component;

/**
 * FP8 E4M3 with 128 × 128 block scales (DeepSeek-V3's {@code weight_scale_inv}); dot type F32.
 * Values are {@code decode(byte) * scale}; the dot product is unscaled, one scale block at a
 * time, as the api describes for block-scaled formats.
 */
@Component(service = QuantFormat.class, property = QuantFormat.TYPE + "=F8_E4M3")
public final class F8E4M3Format implements QuantFormat {

    /** Rows and columns of one scale block, as DeepSeek-V3 quantizes. */
    static final int BLOCK = 128;

    private final F8E4M3Kernel kernel = F8E4M3Kernel.SCALAR;

    @Override
    public TensorType type() {
        return TensorType.F8_E4M3;
    }

    @Override
    public TensorType dotType() {
        return TensorType.F32;
    }

    @Override
    public boolean blockScaled() {
        return true;
    }

    @Override
    public void dequantize(MemorySegment data, int rowLength, long firstRow, int rowCount, BlockScales scales,
            float[] dst, int dstOffset) {
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(dst, "dst");
        if (scales == null) {
            throw new IllegalArgumentException("F8_E4M3 rows need their block scales (weight_scale_inv)");
        }
        if (scales.columns() != rowLength) {
            throw new IllegalArgumentException("F8_E4M3 rows of " + rowLength + " elements, block scales for rows of "
                    + scales.columns());
        }
        if (rowLength < 0 || firstRow < 0 || rowCount < 0
                || (firstRow + rowCount) * (long) rowLength > data.byteSize()) {
            throw new IllegalArgumentException("F8_E4M3 rows [" + firstRow + ", " + firstRow + " + " + rowCount + ") of "
                    + rowLength + " elements lie outside the " + data.byteSize() + " bytes of data");
        }
        if (dstOffset < 0 || dstOffset + (long) rowCount * rowLength > dst.length) {
            throw new IllegalArgumentException("F8_E4M3: " + (long) rowCount * rowLength + " floats at dst[" + dstOffset
                    + "] exceed its length " + dst.length);
        }
        for (int r = 0; r < rowCount; r++) {
            long row = firstRow + r;
            int base = dstOffset + r * rowLength;
            kernel.dequantize(data, row * rowLength, dst, base, rowLength);
            for (int c = 0; c < rowLength; c++) {
                dst[base + c] *= scales.scale(row, c);
            }
        }
    }

    /** Quantizes the rows as one matrix with 128 × 128 blocks and returns its scales. */
    @Override
    public BlockScales quantize(float[] src, int srcOffset, int rowLength, int rowCount, MemorySegment dst,
            long dstOffset) {
        Objects.requireNonNull(src, "src");
        Objects.requireNonNull(dst, "dst");
        if (rowLength < 1 || rowCount < 1) {
            throw new IllegalArgumentException("F8_E4M3 quantize of " + rowCount + " rows of " + rowLength
                    + " elements: both must be at least 1");
        }
        long bytes = (long) rowLength * rowCount;
        if (srcOffset < 0 || srcOffset + bytes > src.length) {
            throw new IllegalArgumentException("F8_E4M3: " + bytes + " floats at src[" + srcOffset + "] exceed its length "
                    + src.length);
        }
        if (dstOffset < 0 || dstOffset + bytes > dst.byteSize()) {
            throw new IllegalArgumentException("F8_E4M3 quantize needs " + bytes + " bytes at offset " + dstOffset
                    + ", the segment has " + dst.byteSize());
        }
        float[] scales = F8E4M3Kernel.quantizeBlocks(src, srcOffset, rowCount, rowLength, BLOCK, BLOCK, dst, dstOffset);
        return new BlockScales(MemorySegment.ofArray(scales), BLOCK, BLOCK, rowCount, rowLength);
    }

    @Override
    public float dot(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int count) {
        return kernel.dot(w, wOffset, x, xOffset, count);
    }

    @Override
    public String toString() {
        return "QuantFormat " + type();
    }
}
