package dev.petrel.kernels.java.tck;

import static dev.petrel.api.weights.TensorType.BF16;
import static dev.petrel.api.weights.TensorType.F16;
import static dev.petrel.api.weights.TensorType.F32;
import static dev.petrel.api.weights.TensorType.I32;
import static dev.petrel.api.weights.TensorType.Q4_0;
import static dev.petrel.api.weights.TensorType.Q8_0;

import dev.petrel.api.kernel.Op;
import dev.petrel.api.kernel.Tensor;
import dev.petrel.api.weights.TensorType;
import java.util.List;

/**
 * The ops that move values: write/read round trips, GET_ROWS of every table type, COPY with
 * its conversions and column ranges (a KV-cache write into a slice included), CONCAT with a
 * per-head and a shared second operand. All bit-identical.
 */
final class MemoryCases {

    private MemoryCases() {
    }

    static void addTo(CaseList cases) {
        for (TensorType type : List.of(F32, F16, BF16)) {
            cases.add("write/read " + type + " {67, 3}", null, List.of(type), s -> {
                Tensor t = s.values(type, new Inputs(500).activations(67 * 3), 67, 3);
                return new Outputs().bytes("data", s.bytes(t));
            });
        }
        cases.add("write/read I32 {5}", null, List.of(I32), s -> {
            Tensor t = s.ids(new int[] {3, -1, 70000, 0, Integer.MAX_VALUE}, 5);
            return new Outputs().ints("data", s.ints(t));
        });
        for (TensorType type : List.of(F32, F16, BF16, Q8_0, Q4_0)) {
            int n = type.isBlockQuantized() ? 96 : 67;
            cases.add("GET_ROWS " + type + " rows of " + n, Op.GET_ROWS, List.of(type), s -> {
                Inputs in = new Inputs(510 + type.ordinal());
                Tensor table = s.weights(type, in.activations(n * 11), n, 11);
                Tensor ids = s.ids(new int[] {3, 0, 10, 3, 7}, 5);
                Tensor out = s.output(F32, n, 5);
                s.stream().getRows(table, ids, out);
                return new Outputs().floats("out", s.floats(out));
            });
        }
        copy(cases, F32, F32, 3, 40, 10);
        copy(cases, F32, F16, 0, 67, 0);
        copy(cases, F32, BF16, 0, 67, 0);
        copy(cases, F16, F32, 5, 50, 2);
        copy(cases, F16, BF16, 0, 67, 0);
        cases.add("COPY Q8_0 -> Q8_0 blocks [32, 96) to column 0", Op.COPY, List.of(Q8_0, Q8_0), s -> {
            Tensor src = s.weights(Q8_0, new Inputs(520).activations(96 * 4), 96, 4);
            Tensor dst = s.output(Q8_0, 64, 4);
            s.stream().copy(src, 32, 64, dst, 0);
            return new Outputs().bytes("dst", s.bytes(dst));
        });
        for (TensorType cache : List.of(F32, F16)) {
            cases.add("COPY F32 -> " + cache + " cache write of 3 tokens at position 4", Op.COPY, List.of(F32, cache), s -> {
                Tensor k = s.f32(new Inputs(530).activations(64 * 2 * 3), 64 * 2, 3);
                Tensor kv = s.output(cache, 64, 2, 10);
                s.stream().copy(k.reshape(64, 2, 3), kv.slice(4, 3));
                return new Outputs().bytes("cache", s.bytes(kv));
            });
        }
        concat(cases, 4);
        concat(cases, 1);
    }

    private static void copy(CaseList cases, TensorType from, TensorType to, int srcColumn, int columns, int dstColumn) {
        String name = "COPY " + from + " -> " + to + " columns [" + srcColumn + ", " + (srcColumn + columns) + ") to "
                + dstColumn;
        cases.add(name, Op.COPY, List.of(from, to), s -> {
            Tensor src = s.values(from, new Inputs(540 + from.ordinal()).activations(67 * 5), 67, 5);
            Tensor dst = s.output(to, 70, 5);
            s.stream().copy(src, srcColumn, columns, dst, dstColumn);
            return new Outputs().bytes("dst", s.bytes(dst));
        });
    }

    private static void concat(CaseList cases, int bHeads) {
        cases.add("CONCAT {40, 4, 3} ++ {24, " + bHeads + ", 3}", Op.CONCAT, List.of(), s -> {
            Inputs in = new Inputs(550 + bHeads);
            Tensor a = s.f32(in.activations(40 * 4 * 3), 40, 4, 3);
            Tensor b = s.f32(in.activations(24 * bHeads * 3), 24, bHeads, 3);
            Tensor out = s.output(F32, 64, 4, 3);
            s.stream().concat(a, b, out);
            return new Outputs().floats("out", s.floats(out));
        });
    }

}
