package dev.petrel.kernels.java.tck;

import dev.petrel.api.kernel.KernelBackend;
import dev.petrel.api.kernel.Op;
import dev.petrel.api.weights.TensorType;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** Collects the cases of one candidate against one reference. */
final class CaseList {

    private final KernelBackend reference;
    private final KernelBackend candidate;
    private final List<TckCase> cases = new ArrayList<>();

    CaseList(KernelBackend reference, KernelBackend candidate) {
        this.reference = reference;
        this.candidate = candidate;
    }

    void add(String name, Op op, List<TensorType> types, Function<Session, Outputs> scenario) {
        cases.add(new TckCase(name, op, types, scenario, reference, candidate));
    }

    List<TckCase> cases() {
        return cases;
    }
}
