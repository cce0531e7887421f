package dev.petrel.kernels.java.scalar;

import dev.petrel.kernels.java.HostTensor;
import dev.petrel.kernels.java.numerics.F32;
import java.lang.foreign.MemorySegment;

/** Row reductions shared by both backends. */
public final class Elementwise {

    private Elementwise() {
    }

    /** ARGMAX of rows {@code [firstRow, endRow)}: the first index of the largest element. */
    public static void argmax(HostTensor x, HostTensor out, long firstRow, long endRow) {
        int n = (int) x.dim(0);
        MemorySegment src = x.data();
        MemorySegment dst = out.data();
        for (long r = firstRow; r < endRow; r++) {
            long base = r * n;
            int best = 0;
            float bestValue = F32.get(src, base);
            for (int i = 1; i < n; i++) {
                float value = F32.get(src, base + i);
                if (value > bestValue) {
                    best = i;
                    bestValue = value;
                }
            }
            F32.setInt(dst, r, best);
        }
    }
}
