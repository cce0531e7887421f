package dev.petrel.kernels.java.vector;

import dev.petrel.kernels.java.numerics.F32;
import dev.petrel.kernels.java.numerics.Ggml;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Element-wise loops over F32 tensor memory, a vector of lanes at a time with a scalar tail.
 * Arguments are element indices. Multiplications and additions round as the scalar ones do,
 * so these results equal the reference bit for bit; only the exponential (SiLU, sigmoid,
 * softmax) may differ from {@code Math.exp} in the last bit.
 */
final class Lanes {

    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final FloatVector ONE = FloatVector.broadcast(F, 1.0f);

    private Lanes() {
    }

    static FloatVector load(MemorySegment data, long index) {
        return FloatVector.fromMemorySegment(F, data, index * Float.BYTES, LE);
    }

    static void store(FloatVector v, MemorySegment data, long index) {
        v.intoMemorySegment(data, index * Float.BYTES, LE);
    }

    /** {@code dst = src * factor}. */
    static void scale(MemorySegment src, long s, float factor, MemorySegment dst, long d, int n) {
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += F.length()) {
            store(load(src, s + i).mul(factor), dst, d + i);
        }
        for (; i < n; i++) {
            F32.set(dst, d + i, F32.get(src, s + i) * factor);
        }
    }

    /** {@code dst = src * factor * gain}, rounding after each product (RMS norm times its weight). */
    static void scaleThenMul(MemorySegment src, long s, float factor, MemorySegment gain, MemorySegment dst, long d,
            int n) {
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += F.length()) {
            store(load(src, s + i).mul(factor).mul(load(gain, i)), dst, d + i);
        }
        for (; i < n; i++) {
            F32.set(dst, d + i, F32.get(src, s + i) * factor * F32.get(gain, i));
        }
    }

    /** {@code dst = a + b} or {@code a * b}. */
    static void binary(boolean add, MemorySegment a, long ai, MemorySegment b, long bi, MemorySegment dst, long d,
            int n) {
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += F.length()) {
            FloatVector x = load(a, ai + i);
            FloatVector y = load(b, bi + i);
            store(add ? x.add(y) : x.mul(y), dst, d + i);
        }
        for (; i < n; i++) {
            float x = F32.get(a, ai + i);
            float y = F32.get(b, bi + i);
            F32.set(dst, d + i, add ? x + y : x * y);
        }
    }

    /** {@code dst = a + b} or {@code a * b} with one {@code b} for the whole run. */
    static void binaryScalar(boolean add, MemorySegment a, long ai, float b, MemorySegment dst, long d, int n) {
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += F.length()) {
            FloatVector x = load(a, ai + i);
            store(add ? x.add(b) : x.mul(b), dst, d + i);
        }
        for (; i < n; i++) {
            float x = F32.get(a, ai + i);
            F32.set(dst, d + i, add ? x + b : x * b);
        }
    }

    /** {@code dst = silu(gate) * up} with ggml's {@code x / (1 + e^-x)}. */
    static void siluMul(MemorySegment gate, MemorySegment up, MemorySegment dst, long from, int n) {
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += F.length()) {
            FloatVector g = load(gate, from + i);
            FloatVector silu = g.div(g.neg().lanewise(VectorOperators.EXP).add(1.0f));
            store(silu.mul(load(up, from + i)), dst, from + i);
        }
        for (; i < n; i++) {
            F32.set(dst, from + i, Ggml.silu(F32.get(gate, from + i)) * F32.get(up, from + i));
        }
    }

    /** {@code dst = 1 / (1 + e^-x)}. */
    static void sigmoid(MemorySegment src, MemorySegment dst, long from, int n) {
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += F.length()) {
            FloatVector x = load(src, from + i);
            store(ONE.div(x.neg().lanewise(VectorOperators.EXP).add(1.0f)), dst, from + i);
        }
        for (; i < n; i++) {
            F32.set(dst, from + i, Ggml.sigmoid(F32.get(src, from + i)));
        }
    }

    /**
     * Softmax of {@code row[0, n)} scaled by {@code scale}, in place: the exponentials in
     * float, their sum in double (in element order, as ggml's scalar tail does), the
     * rounded reciprocal applied.
     */
    static void softmax(float[] row, int n, float scale) {
        FloatVector maxes = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        int upper = F.loopBound(n);
        int i = 0;
        for (; i < upper; i += F.length()) {
            FloatVector x = FloatVector.fromArray(F, row, i).mul(scale);
            x.intoArray(row, i);
            maxes = maxes.max(x);
        }
        float max = maxes.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) {
            row[i] *= scale;
            max = Math.max(max, row[i]);
        }
        for (i = 0; i < upper; i += F.length()) {
            FloatVector.fromArray(F, row, i).sub(max).lanewise(VectorOperators.EXP).intoArray(row, i);
        }
        for (; i < n; i++) {
            row[i] = Ggml.expf(row[i] - max);
        }
        double sum = 0;
        for (i = 0; i < n; i++) {
            sum += row[i];
        }
        float normalizer = Ggml.softmaxNormalizer(sum);
        for (i = 0; i < upper; i += F.length()) {
            FloatVector.fromArray(F, row, i).mul(normalizer).intoArray(row, i);
        }
        for (; i < n; i++) {
            row[i] *= normalizer;
        }
    }

    /** {@code acc[0, n) += p * row[0, n)}, one rounding per element (FMA). */
    static void accumulate(float[] acc, float p, float[] row, int n) {
        accumulate(acc, p, row, 0, n);
    }

    /** {@link #accumulate(float[], float, float[], int)} with the row at {@code rowOffset} of {@code rows}. */
    static void accumulate(float[] acc, float p, float[] rows, int rowOffset, int n) {
        FloatVector weight = FloatVector.broadcast(F, p);
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += F.length()) {
            FloatVector a = FloatVector.fromArray(F, acc, i);
            FloatVector.fromArray(F, rows, rowOffset + i).fma(weight, a).intoArray(acc, i);
        }
        for (; i < n; i++) {
            acc[i] = Math.fma(p, rows[rowOffset + i], acc[i]);
        }
    }
}
