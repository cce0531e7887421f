package dev.petrel.kernels.java.scalar;

import dev.petrel.kernels.java.HostTensor;
import dev.petrel.api.quant.BlockScales;
import dev.petrel.quant.kernel.QuantKernel;

/** Reading one row of a table of any readable type as floats (GET_ROWS). */
public final class Rows {

    private Rows() {
    }

    /**
     * Dequantizes row {@code row} of {@code table} into {@code dst[0 .. dims[0])}, bit-exact with
     * ggml; block-scaled rows (FP8) are multiplied by their scales.
     */
    public static void dequantize(HostTensor table, long row, float[] dst) {
        int n = (int) table.dim(0);
        // Dequantization has one definition: both backends use the scalar codec and agree bit for bit.
        QuantKernel.scalar(table.type()).dequantize(table.data(), row * table.rowBytes(), dst, 0, n);
        BlockScales scales = table.scales().orElse(null);
        if (scales != null) {
            long scaleRow = table.firstPackedRow() + row;
            for (int c = 0; c < n; c++) {
                dst[c] *= scales.scale(scaleRow, c);
            }
        }
    }
}
