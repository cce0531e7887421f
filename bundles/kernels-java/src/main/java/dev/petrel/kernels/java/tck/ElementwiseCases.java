package dev.petrel.kernels.java.tck;

import static dev.petrel.api.weights.TensorType.F32;
import static dev.petrel.api.weights.TensorType.I32;

import dev.petrel.api.kernel.Op;
import dev.petrel.api.kernel.Tensor;
import java.util.List;

/**
 * The row and element ops: ADD and MUL with each broadcast a forward pass uses, SCALE,
 * RMS_NORM (with and without weight, in place), SOFTMAX, SIGMOID, SILU_MUL, ARGMAX. Short
 * rows of 67 leave a vector tail; long ones are split across threads.
 */
final class ElementwiseCases {

    private ElementwiseCases() {
    }

    static void addTo(CaseList cases) {
        long[][] bShapes = {{67, 5}, {67}, {1, 5}, {1}};
        for (long[] b : bShapes) {
            binary(cases, Op.ADD, new long[] {67, 5}, b);
            binary(cases, Op.MUL, new long[] {67, 5}, b);
        }
        binary(cases, Op.ADD, new long[] {40000, 2}, new long[] {40000});
        binary(cases, Op.MUL, new long[] {9, 3, 2}, new long[] {9, 1, 2});
        cases.add("SCALE {67, 5}", Op.SCALE, List.of(), s -> {
            Tensor x = s.f32(new Inputs(40).activations(67 * 5), 67, 5);
            Tensor out = s.output(F32, 67, 5);
            s.stream().scale(x, 0.37f, out);
            return new Outputs().floats("out", s.floats(out));
        });
        rmsNorm(cases, 67, 5, true, false);
        rmsNorm(cases, 67, 5, false, false);
        rmsNorm(cases, 4096, 3, true, false);
        rmsNorm(cases, 67, 5, true, true);
        unary(cases, Op.SOFTMAX, 67, 5);
        unary(cases, Op.SOFTMAX, 1000, 2);
        unary(cases, Op.SIGMOID, 67, 5);
        unary(cases, Op.SIGMOID, 40000, 2);
        siluMul(cases, 67, 5);
        siluMul(cases, 40000, 2);
        argmax(cases, 67, 5);
        argmax(cases, 1000, 2);
    }

    private static void binary(CaseList cases, Op op, long[] a, long[] b) {
        String name = op + " " + java.util.Arrays.toString(a) + " with b " + java.util.Arrays.toString(b);
        cases.add(name, op, List.of(), s -> {
            Inputs in = new Inputs(50 + a[0] + 3 * b.length + b[0]);
            Tensor x = s.f32(in.activations(count(a)), a);
            Tensor y = s.f32(in.activations(count(b)), b);
            Tensor out = s.output(F32, a);
            if (op == Op.ADD) {
                s.stream().add(x, y, out);
            } else {
                s.stream().mul(x, y, out);
            }
            return new Outputs().floats("out", s.floats(out));
        });
    }

    private static void rmsNorm(CaseList cases, int n, int rows, boolean weighted, boolean inPlace) {
        String name = "RMS_NORM {" + n + ", " + rows + "}" + (weighted ? " with weight" : "") + (inPlace ? " in place" : "");
        cases.add(name, Op.RMS_NORM, List.of(), s -> {
            Inputs in = new Inputs(60 + n + rows);
            Tensor x = s.f32(in.activations(n * rows), n, rows);
            Tensor weight = weighted ? s.f32(in.activations(n), n) : null;
            Tensor out = inPlace ? x : s.output(F32, n, rows);
            s.stream().rmsNorm(x, weight, 1e-5f, out);
            return new Outputs().floats("out", s.floats(out));
        });
    }

    private static void unary(CaseList cases, Op op, int n, int rows) {
        cases.add(op + " {" + n + ", " + rows + "}", op, List.of(), s -> {
            Tensor x = s.f32(new Inputs(70 + n).gaussian(n * rows, 3.0), n, rows);
            Tensor out = s.output(F32, n, rows);
            if (op == Op.SOFTMAX) {
                s.stream().softmax(x, 0.7f, out);
            } else {
                s.stream().sigmoid(x, out);
            }
            return new Outputs().floats("out", s.floats(out));
        });
    }

    private static void siluMul(CaseList cases, int n, int rows) {
        cases.add("SILU_MUL {" + n + ", " + rows + "}", Op.SILU_MUL, List.of(), s -> {
            Inputs in = new Inputs(80 + n);
            Tensor gate = s.f32(in.gaussian(n * rows, 3.0), n, rows);
            Tensor up = s.f32(in.activations(n * rows), n, rows);
            Tensor out = s.output(F32, n, rows);
            s.stream().siluMul(gate, up, out);
            return new Outputs().floats("out", s.floats(out));
        });
    }

    private static void argmax(CaseList cases, int n, int rows) {
        cases.add("ARGMAX {" + n + ", " + rows + "}", Op.ARGMAX, List.of(), s -> {
            Tensor x = s.f32(new Inputs(90 + n).separated(n, rows, 0.01f), n, rows);
            Tensor out = s.output(I32, rows);
            s.stream().argmax(x, out);
            return new Outputs().ints("out", s.ints(out));
        });
    }

    static int count(long[] dims) {
        long n = 1;
        for (long d : dims) {
            n *= d;
        }
        return Math.toIntExact(n);
    }
}
