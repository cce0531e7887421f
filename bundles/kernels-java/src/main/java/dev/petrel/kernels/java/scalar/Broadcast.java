package dev.petrel.kernels.java.scalar;

import dev.petrel.kernels.java.HostTensor;
import dev.petrel.kernels.java.numerics.F32;
import java.lang.foreign.MemorySegment;

/**
 * Element-wise binary ops where each dimension of {@code b} equals {@code a}'s or is 1: the
 * coordinate along a broadcast dimension is 0 in {@code b}.
 */
public final class Broadcast {

    private Broadcast() {
    }

    public static void apply(HostTensor a, HostTensor b, HostTensor out, FloatOperator op) {
        MemorySegment x = a.data();
        MemorySegment y = b.data();
        MemorySegment dst = out.data();
        long n0 = a.dim(0);
        long n1 = a.dim(1);
        long n2 = a.dim(2);
        long n3 = a.dim(3);
        long b0 = b.dim(0);
        long b1 = b.dim(1);
        long b2 = b.dim(2);
        for (long i3 = 0; i3 < n3; i3++) {
            for (long i2 = 0; i2 < n2; i2++) {
                for (long i1 = 0; i1 < n1; i1++) {
                    long aRow = ((i3 * n2 + i2) * n1 + i1) * n0;
                    long bRow = (((i3 % b.dim(3)) * b2 + i2 % b2) * b1 + i1 % b1) * b0;
                    for (long i0 = 0; i0 < n0; i0++) {
                        float value = op.apply(F32.get(x, aRow + i0), F32.get(y, bRow + i0 % b0));
                        F32.set(dst, aRow + i0, value);
                    }
                }
            }
        }
    }
}
