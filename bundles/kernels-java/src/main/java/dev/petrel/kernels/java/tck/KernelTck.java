package dev.petrel.kernels.java.tck;

import dev.petrel.api.kernel.KernelBackend;
import dev.petrel.kernels.java.ScalarKernelBackend;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The conformance suite of one kernel backend: {@link #cases()} covers every op, every type
 * the ops take, the shapes a forward pass makes (GQA ratios 1, 2 and 4, head dims 64 and 128,
 * rows that leave vector tails, batches of several tokens), each run on the candidate and on
 * the scalar reference from the same seeded random inputs.
 */
public final class KernelTck implements AutoCloseable {

    private final KernelBackend candidate;
    private final KernelBackend reference;
    private final ScalarKernelBackend ownedReference;

    private KernelTck(KernelBackend candidate, KernelBackend reference, ScalarKernelBackend ownedReference) {
        this.candidate = Objects.requireNonNull(candidate, "candidate");
        this.reference = reference;
        this.ownedReference = ownedReference;
    }

    /** Checks {@code candidate} against a private scalar reference backend, freed by {@link #close()}. */
    public static KernelTck against(KernelBackend candidate) {
        ScalarKernelBackend reference = ScalarKernelBackend.standalone();
        return new KernelTck(candidate, reference, reference);
    }

    /** Checks {@code candidate} against a given reference (a registered {@code kernel=java-scalar}). */
    public static KernelTck against(KernelBackend candidate, KernelBackend reference) {
        return new KernelTck(candidate, Objects.requireNonNull(reference, "reference"), null);
    }

    public KernelBackend candidate() {
        return candidate;
    }

    /** Every case, in a stable order. */
    public List<TckCase> cases() {
        CaseList cases = new CaseList(reference, candidate);
        MemoryCases.addTo(cases);
        MatmulCases.addTo(cases);
        ElementwiseCases.addTo(cases);
        RopeCases.addTo(cases);
        AttentionCases.addTo(cases);
        MoeCases.addTo(cases);
        return cases.cases();
    }

    /** Runs every case and returns what each found. */
    public List<TckResult> runAll() {
        List<TckResult> results = new ArrayList<>();
        for (TckCase c : cases()) {
            results.add(c.run());
        }
        return results;
    }

    /** Frees the private reference backend, if this suite made one. */
    @Override
    public void close() {
        if (ownedReference != null) {
            ownedReference.shutdown(Duration.ZERO);
        }
    }
}
