package dev.petrel.kernels.java.tck;

import java.util.ArrayList;
import java.util.List;

/** What one backend computed in a case: named results, each compared in its own way. */
final class Outputs {

    /** One result: floats compared by the op's tolerance, or ints/bytes compared exactly. */
    record Output(String name, float[] floats, int[] ints, byte[] bytes, boolean alwaysExact) {
    }

    private final List<Output> outputs = new ArrayList<>();

    /** Floats held to the op's tolerance. */
    Outputs floats(String name, float[] values) {
        outputs.add(new Output(name, values, null, null, false));
        return this;
    }

    /** Floats that must match bit for bit whatever the op's tolerance. */
    Outputs exactFloats(String name, float[] values) {
        outputs.add(new Output(name, values, null, null, true));
        return this;
    }

    Outputs ints(String name, int[] values) {
        outputs.add(new Output(name, null, values, null, true));
        return this;
    }

    Outputs bytes(String name, byte[] values) {
        outputs.add(new Output(name, null, null, values, true));
        return this;
    }

    List<Output> list() {
        return outputs;
    }
}
