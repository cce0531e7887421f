package dev.petrel.kernels.java;

import java.util.Arrays;

/** Checks of the dims a tensor may have: 1 to 4 of them, each at least 1. */
final class Dims {

    static final int MAX_RANK = 4;

    private Dims() {
    }

    static void check(String name, long[] dims) {
        if (dims == null || dims.length < 1 || dims.length > MAX_RANK) {
            throw new IllegalArgumentException("tensor " + name + ": dims " + Arrays.toString(dims)
                    + " (expected 1 to " + MAX_RANK + " dimensions)");
        }
        for (long d : dims) {
            if (d < 1) {
                throw new IllegalArgumentException("tensor " + name + ": dims " + Arrays.toString(dims)
                        + " (every dimension must be at least 1)");
            }
        }
    }

    static long elementCount(String name, long[] dims) {
        long n = 1;
        for (long d : dims) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }
}
