package dev.petrel.itests;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.petrel.api.kernel.KernelBackend;
import dev.petrel.kernels.java.tck.KernelTck;
import dev.petrel.kernels.java.tck.TckCase;
import dev.petrel.kernels.java.tck.TckResult;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.junit5.context.BundleContextExtension;

/**
 * The backend TCK inside the framework: every op of every registered {@link KernelBackend}
 * service against the registered scalar reference ({@code kernel=java-scalar}), with the
 * tolerances of the {@code dev.petrel.api.kernel} package. A Java backend must run every case;
 * another backend (CUDA) may skip the cases whose op or types it says it does not support.
 */
@ExtendWith(BundleContextExtension.class)
class BackendTckTest {

    @InjectBundleContext
    BundleContext context;

    @TestFactory
    Stream<DynamicContainer> everyRegisteredBackend_matchesTheScalarReference() throws Exception {
        Collection<ServiceReference<KernelBackend>> refs = context.getServiceReferences(KernelBackend.class, null);
        ServiceReference<KernelBackend> referenceRef = refs.stream()
                .filter(r -> "java-scalar".equals(r.getProperty(KernelBackend.KERNEL))).findFirst()
                .orElseThrow(() -> new AssertionError("no kernel=java-scalar backend registered: " + refs));
        KernelBackend reference = context.getService(referenceRef);
        List<String> names = new ArrayList<>();
        List<DynamicContainer> suites = new ArrayList<>();
        for (ServiceReference<KernelBackend> ref : refs) {
            KernelBackend candidate = context.getService(ref);
            names.add(candidate.name());
            boolean mustRunAll = candidate.name().startsWith("java");
            KernelTck tck = KernelTck.against(candidate, reference);
            List<DynamicTest> tests = tck.cases().stream()
                    .map(c -> DynamicTest.dynamicTest(c.name(), () -> check(c, mustRunAll)))
                    .toList();
            assertFalse(tests.isEmpty(), "no TCK cases for " + candidate.name());
            suites.add(DynamicContainer.dynamicContainer("kernel=" + candidate.name(), tests));
        }
        assertTrue(names.contains("java") && names.contains("java-scalar"),
                "expected both Java backends registered, found " + names);
        return suites.stream();
    }

    private static void check(TckCase c, boolean mustRunAll) {
        TckResult result = c.run();
        if (result.skipped() && mustRunAll) {
            throw new AssertionError("a Java backend skipped " + c.name() + ": " + result.detail());
        }
        org.junit.jupiter.api.Assumptions.assumeFalse(result.skipped(), result::detail);
        result.assertPassed();
    }
}
