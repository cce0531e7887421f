/**
 * The kernel backend TCK: every op of a {@link dev.petrel.api.kernel.KernelBackend} checked
 * against the scalar reference ({@code kernel=java-scalar}) on random inputs, with the
 * tolerances the {@code dev.petrel.api.kernel} package states.
 *
 * <p>Plain Java with no test framework, so it runs anywhere a backend does: in this bundle's
 * unit tests, and inside a framework on every registered backend (CUDA included):
 *
 * <pre>
 * try (KernelTck tck = KernelTck.against(backend)) {
 *     for (TckCase c : tck.cases()) {
 *         c.run().assertPassed(); // or collect the results
 *     }
 * }
 * </pre>
 *
 * A JUnit test turns the cases into dynamic tests; a skipped case (an op or type the backend
 * does not {@linkplain dev.petrel.api.kernel.KernelBackend#supports support}) says so.
 */
@Export
@Version("1.0.0")
package dev.petrel.kernels.java.tck;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
