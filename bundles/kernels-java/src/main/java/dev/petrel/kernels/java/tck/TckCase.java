package dev.petrel.kernels.java.tck;

import dev.petrel.api.kernel.KernelBackend;
import dev.petrel.api.kernel.Op;
import dev.petrel.api.weights.TensorType;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * One check: a scenario (inputs from a fixed seed, one op) run on the reference and on the
 * candidate, their outputs compared with the op's {@link Tolerance}.
 */
public final class TckCase {

    private final String name;
    private final Op op;
    private final List<TensorType> types;
    private final Function<Session, Outputs> scenario;
    private final KernelBackend reference;
    private final KernelBackend candidate;

    TckCase(String name, Op op, List<TensorType> types, Function<Session, Outputs> scenario, KernelBackend reference,
            KernelBackend candidate) {
        this.name = name;
        this.op = op;
        this.types = List.copyOf(types);
        this.scenario = scenario;
        this.reference = reference;
        this.candidate = candidate;
    }

    public String name() {
        return name;
    }

    /** The op checked, or null for the write/read round trip. */
    public Op op() {
        return op;
    }

    /** The operand types {@code supports} is asked about. */
    public List<TensorType> types() {
        return types;
    }

    /** Runs the case; never throws for a wrong result, reports it. */
    public TckResult run() {
        TensorType[] asked = types.toArray(TensorType[]::new);
        if (op != null && !candidate.supports(op, asked)) {
            return new TckResult(name, TckResult.Status.SKIPPED, candidate.name() + " does not support " + op + " "
                    + types);
        }
        Outputs expected;
        Outputs actual;
        try (Session session = new Session(reference)) {
            expected = scenario.apply(session);
        }
        try (Session session = new Session(candidate)) {
            actual = scenario.apply(session);
        } catch (RuntimeException e) {
            return new TckResult(name, TckResult.Status.FAILED, "threw " + e);
        }
        return compare(expected, actual, Tolerance.of(op, types, candidate));
    }

    private TckResult compare(Outputs expected, Outputs actual, Tolerance tolerance) {
        StringBuilder detail = new StringBuilder();
        boolean failed = false;
        for (int i = 0; i < expected.list().size(); i++) {
            Outputs.Output want = expected.list().get(i);
            Outputs.Output got = actual.list().get(i);
            String difference;
            if (want.floats() != null && allZero(want.floats())) {
                // A case whose reference computes only zeros would pass a backend that writes nothing.
                throw new IllegalStateException(name + ": the reference output " + want.name() + " is all zeros");
            }
            if (want.floats() != null && !(tolerance.exact() || want.alwaysExact())) {
                double nmse = Comparison.nmse(want.floats(), got.floats());
                difference = nmse <= tolerance.maxNmse() ? null : "NMSE " + format(nmse) + " > " + tolerance.maxNmse();
                detail.append(want.name()).append(" NMSE ").append(format(nmse)).append(" (").append(tolerance)
                        .append(") ");
            } else {
                difference = want.floats() != null ? Comparison.firstDifference(want.floats(), got.floats())
                        : want.ints() != null ? Comparison.firstDifference(want.ints(), got.ints())
                        : Comparison.firstDifference(want.bytes(), got.bytes());
                detail.append(want.name()).append(" bit-identical ");
            }
            if (difference != null) {
                failed = true;
                detail.append("MISMATCH ").append(want.name()).append(": ").append(difference).append(' ');
            }
        }
        return new TckResult(name, failed ? TckResult.Status.FAILED : TckResult.Status.PASSED, detail.toString().trim());
    }

    private static boolean allZero(float[] values) {
        for (float v : values) {
            if (v != 0f) {
                return false;
            }
        }
        return true;
    }

    private static String format(double value) {
        return String.format(Locale.ROOT, "%.3g", value);
    }

    @Override
    public String toString() {
        return name;
    }
}
