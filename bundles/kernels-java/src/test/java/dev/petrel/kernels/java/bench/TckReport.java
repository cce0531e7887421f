package dev.petrel.kernels.java.bench;

import dev.petrel.kernels.java.VectorKernelBackend;
import dev.petrel.kernels.java.tck.KernelTck;
import dev.petrel.kernels.java.tck.TckResult;
import java.time.Duration;

/** Prints every TCK result with its measured error (not a test: a report for people). */
public final class TckReport {

    private TckReport() {
    }

    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        VectorKernelBackend backend = VectorKernelBackend.standalone(threads);
        try (KernelTck tck = KernelTck.against(backend)) {
            int passed = 0;
            int total = 0;
            for (TckResult result : tck.runAll()) {
                System.out.println(result);
                total++;
                passed += result.passed() ? 1 : 0;
            }
            System.out.println(passed + " of " + total + " cases passed on " + backend.name() + " with "
                    + backend.device().computeUnits() + " threads");
        } finally {
            backend.shutdown(Duration.ZERO);
        }
    }
}
