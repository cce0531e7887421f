package dev.petrel.api.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * Two-dimensional block scales of a block-scaled weight, such as an FP8 E4M3 weight with its
 * {@code weight_scale_inv} tensor (DeepSeek-V3: 128 × 128 blocks).
 *
 * <p>The weight is a matrix of {@code rows × columns} elements ({@code dims = {columns, rows}}),
 * or a stack of such matrices ({@code dims = {columns, rows, matrices}}, one per expert).
 * Element {@code (row, column)} is worth {@code stored × scale(row, column)}. {@code data}
 * holds little-endian F32 scales with dims {@code {ceil(columns / blockColumns),
 * ceil(rows / blockRows), matrices}}, contiguous first.
 *
 * @param data F32 scales, little-endian; read-only for the kernels
 * @param blockRows rows covered by one scale
 * @param blockColumns columns covered by one scale
 * @param rows rows of one matrix (the weight's {@code dims[1]})
 * @param columns columns of the weight (its {@code dims[0]})
 */
public record BlockScales(MemorySegment data, int blockRows, int blockColumns, long rows, long columns) {

    private static final ValueLayout.OfFloat F32_LE =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public BlockScales {
        Objects.requireNonNull(data, "data");
        if (blockRows < 1 || blockColumns < 1 || rows < 1 || columns < 1) {
            throw new IllegalArgumentException("block scales need positive sizes: block " + blockRows + "x"
                    + blockColumns + ", matrix " + rows + "x" + columns);
        }
        if (data.byteSize() < 4 * scalesPerMatrix(blockRows, blockColumns, rows, columns)) {
            throw new IllegalArgumentException("block scales hold " + data.byteSize() / 4 + " values, a "
                    + rows + "x" + columns + " matrix needs at least "
                    + scalesPerMatrix(blockRows, blockColumns, rows, columns));
        }
    }

    /** Scales per matrix: {@code ceil(rows / blockRows) * ceil(columns / blockColumns)}. */
    public long scalesPerMatrix() {
        return scalesPerMatrix(blockRows, blockColumns, rows, columns);
    }

    /**
     * The scale of an element. {@code row} counts through the stacked matrices
     * ({@code matrix * rows + rowInMatrix}), as rows of the weight tensor do.
     */
    public float scale(long row, long column) {
        long matrix = row / rows;
        long r = row % rows;
        long index = (matrix * Math.ceilDiv(rows, blockRows) + r / blockRows) * Math.ceilDiv(columns, blockColumns)
                + column / blockColumns;
        return data.getAtIndex(F32_LE, index);
    }

    private static long scalesPerMatrix(int blockRows, int blockColumns, long rows, long columns) {
        return Math.ceilDiv(rows, blockRows) * Math.ceilDiv(columns, blockColumns);
    }
}
