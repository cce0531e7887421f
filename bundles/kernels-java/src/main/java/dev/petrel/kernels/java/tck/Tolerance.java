package dev.petrel.kernels.java.tck;

import dev.petrel.api.kernel.KernelBackend;
import dev.petrel.api.kernel.Op;
import dev.petrel.api.weights.TensorType;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The tolerances of the api's kernel package: bit-identical results for the ops that only
 * move or combine values exactly, a normalised mean squared error
 * {@code NMSE = sum((out - ref)^2) / sum(ref^2)} for the others.
 *
 * @param exact whether every bit must match
 * @param maxNmse the largest NMSE allowed when not exact
 */
public record Tolerance(boolean exact, double maxNmse) {

    /** NMSE of Java backends, and of any backend on all-F32 operands: summation order only. */
    public static final double SUMMATION_ORDER = 1e-7;
    /** NMSE of other backends with half, block-quantized or FP8 operands. */
    public static final double REDUCED_PRECISION = 5e-4;

    static final Tolerance EXACT = new Tolerance(true, 0);

    private static final Set<Op> EXACT_OPS = EnumSet.of(Op.COPY, Op.CONCAT, Op.ADD, Op.MUL, Op.SCALE, Op.ARGMAX);
    private static final Set<Op> WEIGHT_OPS = EnumSet.of(Op.MATMUL, Op.MATMUL_HEADS, Op.MATMUL_EXPERTS, Op.GET_ROWS);

    /** The tolerance of {@code op} with these operand types on {@code candidate}. */
    static Tolerance of(Op op, List<TensorType> types, KernelBackend candidate) {
        boolean java = "java".equals(candidate.device().kind());
        if (op == null || EXACT_OPS.contains(op) || (op == Op.GET_ROWS && java)) {
            return EXACT;
        }
        boolean allF32 = types.stream().allMatch(t -> t == TensorType.F32);
        boolean reduced = !java && !allF32 && (WEIGHT_OPS.contains(op) || op == Op.ATTENTION);
        return new Tolerance(false, reduced ? REDUCED_PRECISION : SUMMATION_ORDER);
    }

    @Override
    public String toString() {
        return exact ? "bit-identical" : "NMSE <= " + maxNmse;
    }
}
