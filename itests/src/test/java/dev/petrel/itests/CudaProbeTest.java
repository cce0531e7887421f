package dev.petrel.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.petrel.api.kernel.KernelBackend;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.junit5.context.BundleContextExtension;

/**
 * The CUDA bundle on a machine without a CUDA driver (no libcuda.so.1: this test's CI): it
 * resolves and starts next to JCuda's bundle, registers no backend, and says why in exactly
 * one log line each time it starts; stopping and starting it probes again. On a machine with
 * a usable GPU the same start registers {@code kernel=cuda} instead, and this test says so.
 */
@ExtendWith(BundleContextExtension.class)
class CudaProbeTest {

    @InjectBundleContext
    BundleContext context;

    @Test
    void withoutADriver_startsRegistersNothingAndSaysWhy_onEveryStart() throws Exception {
        Bundle cuda = bundle("dev.petrel.kernels.cuda");
        Bundle jcuda = bundle("org.jcuda.jcuda");
        assertEquals(Bundle.ACTIVE, cuda.getState(), "kernels-cuda is not active");
        assertTrue((jcuda.getState() & (Bundle.RESOLVED | Bundle.ACTIVE)) != 0, "the JCuda bundle is not resolved");

        Logger logger = Logger.getLogger("dev.petrel.kernels.cuda.CudaProbe");
        List<String> lines = new ArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                synchronized (lines) {
                    lines.add(record.getMessage());
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        logger.addHandler(capture);
        try {
            for (int start = 1; start <= 2; start++) {
                cuda.stop();
                cuda.start();
                assertEquals(Bundle.ACTIVE, cuda.getState());
                Collection<ServiceReference<KernelBackend>> registered =
                        context.getServiceReferences(KernelBackend.class, "(kernel=cuda)");
                synchronized (lines) {
                    assertEquals(1, lines.size(), "start " + start + ": one log line expected, found " + lines);
                    String line = lines.getFirst();
                    if (registered.isEmpty()) {
                        assertTrue(line.startsWith("kernels-cuda: no CUDA backend registered: ") && line.length() > 60,
                                "start " + start + ": the line must say why: " + line);
                        assertTrue(line.contains("driver") || line.contains("device") || line.contains("PTX"),
                                "start " + start + ": no reason named: " + line);
                    } else {
                        assertTrue(line.startsWith("kernels-cuda: registered kernel=cuda on "), line);
                        assertEquals("cuda", context.getService(registered.iterator().next()).device().kind());
                    }
                    System.out.println("kernels-cuda start " + start + ": " + line);
                    lines.clear();
                }
            }
            // the Java backends are untouched
            assertTrue(!context.getServiceReferences(KernelBackend.class, "(kernel=java)").isEmpty());
        } finally {
            logger.removeHandler(capture);
        }
    }

    private Bundle bundle(String symbolicName) {
        return Arrays.stream(context.getBundles()).filter(b -> symbolicName.equals(b.getSymbolicName())).findFirst()
                .orElseThrow(() -> new AssertionError("no bundle " + symbolicName));
    }
}
