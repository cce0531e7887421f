package dev.petrel.kernels.java.scalar;

import dev.petrel.api.weights.TensorType;
import dev.petrel.kernels.java.HostTensor;
import java.lang.foreign.MemorySegment;

/**
 * COPY and CONCAT: byte moves between rows, with an element conversion (round to nearest
 * even) when COPY's source and destination are different float types. The same code serves
 * both backends, so their copies agree bit for bit.
 */
public final class Copies {

    private Copies() {
    }

    /** COPY of rows {@code [firstRow, endRow)}. */
    public static void copy(HostTensor src, long srcColumn, long columns, HostTensor dst, long dstColumn, long firstRow,
            long endRow) {
        MemorySegment from = src.data();
        MemorySegment to = dst.data();
        TensorType inType = src.type();
        TensorType outType = dst.type();
        long srcRowBytes = src.rowBytes();
        long dstRowBytes = dst.rowBytes();
        if (inType == outType) {
            long bytes = inType.rowBytes(columns);
            long srcOffset = inType.rowBytes(srcColumn);
            long dstOffset = outType.rowBytes(dstColumn);
            for (long r = firstRow; r < endRow; r++) {
                MemorySegment.copy(from, r * srcRowBytes + srcOffset, to, r * dstRowBytes + dstOffset, bytes);
            }
            return;
        }
        long srcRow = src.dim(0);
        long dstRow = dst.dim(0);
        for (long r = firstRow; r < endRow; r++) {
            for (long c = 0; c < columns; c++) {
                float value = Elements.get(from, inType, r * srcRow + srcColumn + c);
                Elements.set(to, outType, r * dstRow + dstColumn + c, value);
            }
        }
    }

    /** CONCAT of output rows {@code [firstRow, endRow)}; {@code b} has all heads or one. */
    public static void concat(HostTensor a, HostTensor b, HostTensor out, long firstRow, long endRow) {
        MemorySegment first = a.data();
        MemorySegment second = b.data();
        MemorySegment dst = out.data();
        long aBytes = a.rowBytes();
        long bBytes = b.rowBytes();
        long outBytes = out.rowBytes();
        long heads = out.dim(1);
        boolean shared = b.dim(1) == 1 && heads > 1;
        for (long r = firstRow; r < endRow; r++) {
            long bRow = shared ? r / heads : r;
            MemorySegment.copy(first, r * aBytes, dst, r * outBytes, aBytes);
            MemorySegment.copy(second, bRow * bBytes, dst, r * outBytes + aBytes, bBytes);
        }
    }
}
