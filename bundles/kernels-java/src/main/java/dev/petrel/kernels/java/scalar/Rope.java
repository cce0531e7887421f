package dev.petrel.kernels.java.scalar;

import dev.petrel.api.kernel.RopeParams;
import dev.petrel.kernels.java.HostTensor;
import dev.petrel.kernels.java.numerics.F32;
import dev.petrel.kernels.java.numerics.RopeAngles;
import java.lang.foreign.MemorySegment;

/**
 * Rotary embedding of head rows {@code x {d, heads, T}}: NORMAL turns the pairs
 * {@code (2i, 2i + 1)}, NEOX the pairs {@code (i, i + dims / 2)}, both within
 * {@code [column, column + dims)}; the other elements are copied.
 */
public final class Rope {

    private Rope() {
    }

    /** Rotates the tokens {@code [firstToken, endToken)}. */
    public static void apply(HostTensor x, int position0, int column, RopeParams params, float[] freqFactors,
            HostTensor out, long firstToken, long endToken) {
        RopeAngles angles = new RopeAngles(params);
        float[] table = new float[params.dimensions()];
        int d = (int) x.dim(0);
        long heads = x.dim(1);
        MemorySegment src = x.data();
        MemorySegment dst = out.data();
        boolean neox = params.mode() == RopeParams.Mode.NEOX;
        int dims = params.dimensions();
        for (long t = firstToken; t < endToken; t++) {
            angles.fill(Math.toIntExact(position0 + t), freqFactors, table);
            for (long h = 0; h < heads; h++) {
                long row = (t * heads + h) * d;
                if (src != dst) {
                    MemorySegment.copy(src, F32.FLOAT, row * Float.BYTES, dst, F32.FLOAT, row * Float.BYTES, d);
                }
                for (int i0 = 0; i0 < dims; i0 += 2) {
                    long first = row + column + (neox ? i0 / 2 : i0);
                    long second = first + (neox ? dims / 2 : 1);
                    float cos = table[i0];
                    float sin = table[i0 + 1];
                    float x0 = F32.get(src, first);
                    float x1 = F32.get(src, second);
                    F32.set(dst, first, x0 * cos - x1 * sin);
                    F32.set(dst, second, x0 * sin + x1 * cos);
                }
            }
        }
    }
}
