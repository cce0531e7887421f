package dev.petrel.quant.internal;

import dev.petrel.api.quant.BlockScales;
import dev.petrel.api.quant.QuantFormat;
import dev.petrel.api.weights.TensorType;
import dev.petrel.quant.kernel.QuantKernel;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * A {@link QuantFormat} service backed by a format's scalar reference kernel: the control that
 * faster kernels are checked against, so its dot product is the plain one.
 */
abstract class KernelFormat implements QuantFormat {

    private final QuantKernel kernel;

    KernelFormat(TensorType type) {
        this.kernel = QuantKernel.scalar(type);
    }

    @Override
    public TensorType type() {
        return kernel.type();
    }

    @Override
    public TensorType dotType() {
        return kernel.dotType();
    }

    @Override
    public void dequantize(MemorySegment data, int rowLength, long firstRow, int rowCount, BlockScales scales,
            float[] dst, int dstOffset) {
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(dst, "dst");
        long rowBytes = rowBytes(rowLength);
        if (firstRow < 0 || rowCount < 0 || end(firstRow + rowCount, rowBytes, 0) > data.byteSize()) {
            throw new IllegalArgumentException(type() + " rows [" + firstRow + ", " + firstRow + " + " + rowCount
                    + ") of " + rowLength + " elements (" + rowBytes + " bytes each) lie outside the "
                    + data.byteSize() + " bytes of data");
        }
        checkArray("dst", dst.length, dstOffset, (long) rowCount * rowLength);
        for (int r = 0; r < rowCount; r++) {
            kernel.dequantize(data, (firstRow + r) * rowBytes, dst, dstOffset + r * rowLength, rowLength);
        }
    }

    @Override
    public BlockScales quantize(float[] src, int srcOffset, int rowLength, int rowCount, MemorySegment dst,
            long dstOffset) {
        Objects.requireNonNull(src, "src");
        Objects.requireNonNull(dst, "dst");
        long rowBytes = rowBytes(rowLength);
        if (rowCount < 0) {
            throw new IllegalArgumentException(type() + " quantize of " + rowCount
                    + " rows: count must not be negative");
        }
        checkArray("src", src.length, srcOffset, (long) rowCount * rowLength);
        if (dstOffset < 0 || end(rowCount, rowBytes, dstOffset) > dst.byteSize()) {
            throw new IllegalArgumentException(type() + " quantize of " + rowCount + " rows of " + rowLength
                    + " elements needs " + rowCount * rowBytes + " bytes at offset " + dstOffset + ", the segment has "
                    + dst.byteSize());
        }
        for (int r = 0; r < rowCount; r++) {
            kernel.quantize(src, srcOffset + r * rowLength, dst, dstOffset + r * rowBytes, rowLength);
        }
        return null;
    }

    @Override
    public float dot(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int count) {
        rowBytes(count);
        return kernel.dot(w, wOffset, x, xOffset, count);
    }

    private long rowBytes(int rowLength) {
        if (rowLength < 0 || rowLength % blockSize() != 0) {
            throw new IllegalArgumentException(type() + " row of " + rowLength
                    + " elements: must be a non-negative multiple of the block size " + blockSize());
        }
        return kernel.rowBytes(rowLength);
    }

    /** {@code offset + rows * rowBytes}, or Long.MAX_VALUE when that overflows. */
    private static long end(long rows, long rowBytes, long offset) {
        try {
            return Math.addExact(offset, Math.multiplyExact(rows, rowBytes));
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    private void checkArray(String name, int length, int offset, long count) {
        if (offset < 0 || offset + count > length) {
            throw new IllegalArgumentException(type() + ": " + count + " floats at " + name + "[" + offset
                    + "] exceed its length " + length);
        }
    }

    @Override
    public String toString() {
        return "QuantFormat " + type();
    }
}
