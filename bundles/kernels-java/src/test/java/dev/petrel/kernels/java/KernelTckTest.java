package dev.petrel.kernels.java;

import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.petrel.kernels.java.tck.KernelTck;
import dev.petrel.kernels.java.tck.TckCase;
import dev.petrel.kernels.java.tck.TckResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The backend TCK on the Vector API backend, on one thread (the kernels alone) and on three
 * (the work split: uneven chunks, a thread count that divides nothing).
 */
class KernelTckTest {

    private static final List<AutoCloseable> OPEN = new ArrayList<>();

    @TestFactory
    Stream<DynamicTest> everyOp_onOneThread_matchesScalarReference() {
        return suite(1);
    }

    @TestFactory
    Stream<DynamicTest> everyOp_onThreeThreads_matchesScalarReference() {
        return suite(3);
    }

    private static Stream<DynamicTest> suite(int threads) {
        VectorKernelBackend backend = VectorKernelBackend.standalone(threads);
        KernelTck tck = KernelTck.against(backend);
        OPEN.add(tck);
        OPEN.add(() -> backend.shutdown(Duration.ZERO));
        return tck.cases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> check(c)));
    }

    private static void check(TckCase c) {
        TckResult result = c.run();
        assumeFalse(result.skipped(), result::detail);
        result.assertPassed();
    }

    @AfterAll
    static void shutDown() throws Exception {
        for (AutoCloseable closeable : OPEN) {
            closeable.close();
        }
        OPEN.clear();
    }
}
