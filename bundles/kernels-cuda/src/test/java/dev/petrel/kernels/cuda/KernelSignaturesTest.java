package dev.petrel.kernels.cuda;

import static dev.petrel.kernels.cuda.KernelSignatures.Kind.B32;
import static dev.petrel.kernels.cuda.KernelSignatures.Kind.B64;
import static dev.petrel.kernels.cuda.KernelSignatures.Kind.F32;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Launch arguments against the kernels' PTX parameters. */
class KernelSignaturesTest {

    private static final String SNIPPET = """
            .visible .entry scale_f32(
            	.param .u64 scale_f32_param_0,
            	.param .u64 scale_f32_param_1,
            	.param .u64 scale_f32_param_2,
            	.param .f32 scale_f32_param_3
            )
            {
            	.reg .pred 	%p<2>;
            }
            .visible .entry argmax_f32(
            	.param .u64 argmax_f32_param_0,
            	.param .u64 argmax_f32_param_1,
            	.param .u32 argmax_f32_param_2
            )
            """;

    @Test
    void parsesEntryParameters() {
        KernelSignatures s = KernelSignatures.parse(SNIPPET);
        assertEquals(List.of(B64, B64, B64, F32), s.of("scale_f32"));
        assertEquals(List.of(B64, B64, B32), s.of("argmax_f32"));
    }

    @Test
    void launchesWithTheWrongArgumentsAreRefused() {
        KernelSignatures s = KernelSignatures.parse(SNIPPET);
        s.check("argmax_f32", 1L, 2L, 3);
        assertThrows(IllegalStateException.class, () -> s.check("argmax_f32", 1L, 2L));
        assertThrows(IllegalStateException.class, () -> s.check("argmax_f32", 1L, 2L, 3L));
        assertThrows(IllegalStateException.class, () -> s.check("scale_f32", 1L, 2L, 3L, 4));
        assertThrows(IllegalStateException.class, () -> s.check("softmax_f32", 1L, 2L, 3, 1f));
    }

    /** The PTX nvcc built for this bundle (absent where the build had no nvcc). */
    @Test
    void builtPtxHasEveryKernelWithTheArgumentsTheStreamPasses() throws IOException {
        for (String arch : List.of("80", "90")) {
            Path ptx = Path.of("target/ptx/petrel-sm" + arch + ".ptx");
            Assumptions.assumeTrue(Files.exists(ptx), "built without nvcc: no PTX to check");
            KernelSignatures s = KernelSignatures.parse(Files.readString(ptx));
            for (String kernel : CudaSupport.FUNCTIONS) {
                assertNotNull(s.of(kernel), kernel + " is missing from " + ptx);
            }
            // the argument lists of CudaStream's launches of the router, FP8 and rope kernels
            s.check("moe_route", 1L, 1L, 1L, 1L, 256, 0, 8, 8, 4, 1, 2.5f);
            s.check("matmul_f8", 1L, 1L, 1L, 7168, 2048, 2, 1, 1L, 8, 1, 1L, 0L, 128, 128, 2048L);
            s.check("get_rows_f8", 1L, 1L, 1L, 7168, 1L, 0L, 128, 128, 129280L);
            s.check("rope_f32", 1L, 1L, 192, 16, 0, 128, 64, 0, 0.5f, 0.025f, 1L, 1f, 10f, 23f, 1.37f);
            s.check("matmul_select", 1L, 0, 1L, 1L, 1L, 1L, 64, 32, 1, 1, 1L, 2, 1);
        }
    }
}
