package dev.petrel.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.petrel.api.kernel.Op;
import dev.petrel.api.quant.BlockScales;
import dev.petrel.api.weights.TensorType;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The CUDA backend's support table and its agreement with the CUDA C sources, without a GPU. */
class CudaSupportTest {

    private static final Path SOURCE = Path.of("../../kernels-native/src/cuda/petrel.cu");

    /** The ops the llama, qwen2 (dense decoder, MoE variants included) and deepseek2 forward passes enqueue. */
    private static final Set<Op> LLAMA = EnumSet.of(Op.GET_ROWS, Op.MATMUL, Op.RMS_NORM, Op.ROPE, Op.ADD, Op.MUL,
            Op.SILU_MUL, Op.ATTENTION, Op.COPY, Op.ARGMAX, Op.SOFTMAX, Op.SCALE);
    private static final Set<Op> QWEN2_MOE = EnumSet.of(Op.MATMUL_EXPERTS, Op.MOE_ROUTE, Op.MOE_COMBINE, Op.SIGMOID);
    private static final Set<Op> DEEPSEEK2 = EnumSet.of(Op.MATMUL_HEADS, Op.MATMUL_EXPERTS, Op.CONCAT, Op.MOE_ROUTE,
            Op.MOE_COMBINE, Op.SIGMOID);

    @Test
    void everyOpOfTheArchitecturesIsSupported() {
        for (Set<Op> ops : List.of(LLAMA, QWEN2_MOE, DEEPSEEK2)) {
            for (Op op : ops) {
                assertTrue(CudaSupport.supports(op), op + " must be supported");
            }
        }
        // and nothing the api declares is left out
        for (Op op : Op.values()) {
            assertTrue(CudaSupport.supports(op), op + " of the api is not covered");
        }
    }

    @Test
    void weightTypesOfTheProductsAndLookups() {
        for (Op op : List.of(Op.GET_ROWS, Op.MATMUL, Op.MATMUL_HEADS, Op.MATMUL_EXPERTS)) {
            for (TensorType type : List.of(TensorType.F32, TensorType.F16, TensorType.BF16, TensorType.Q8_0,
                    TensorType.Q4_0, TensorType.F8_E4M3)) {
                assertTrue(CudaSupport.supports(op, type), op + " of " + type);
            }
            assertFalse(CudaSupport.supports(op, TensorType.Q4_K), op + " of Q4_K has no kernel");
        }
        assertTrue(CudaSupport.supports(Op.ATTENTION, TensorType.BF16));
        assertFalse(CudaSupport.supports(Op.ATTENTION, TensorType.Q8_0));
        assertTrue(CudaSupport.supports(Op.COPY, TensorType.F32, TensorType.F16));
        assertTrue(CudaSupport.supports(Op.COPY, TensorType.Q8_0, TensorType.Q8_0));
        assertFalse(CudaSupport.supports(Op.COPY, TensorType.F32, TensorType.Q8_0));
        assertTrue(CudaSupport.supports(Op.MOE_ROUTE, TensorType.F32));
        assertFalse(CudaSupport.supports(Op.ADD, TensorType.F16));
    }

    @Test
    void everyKernelIsLookedUpAndEveryLookupHasAKernel() throws IOException {
        String source = Files.readString(SOURCE);
        Matcher m = Pattern.compile("__global__\\s+void\\s+(\\w+)\\s*\\(").matcher(source);
        Set<String> kernels = new TreeSet<>();
        while (m.find()) {
            kernels.add(m.group(1));
        }
        assertEquals(kernels, new TreeSet<>(CudaSupport.FUNCTIONS));
    }

    @Test
    void typeCodesAreTheOnesTheKernelsRead() throws IOException {
        String source = Files.readString(SOURCE);
        String weightAt = source.substring(source.indexOf("float weight_at("), source.indexOf("default: return 0.0f;"));
        for (TensorType type : CudaSupport.WEIGHTS) {
            int code = CudaSupport.code(type);
            assertTrue(weightAt.contains("case " + code + ":"), type + " (code " + code + ") is not decoded by weight_at");
        }
        String router = source.substring(source.indexOf("#define MAX_EXPERTS"));
        assertTrue(router.startsWith("#define MAX_EXPERTS " + CudaSupport.MAX_EXPERTS + "\n#define MAX_GROUPS "
                + CudaSupport.MAX_GROUPS + "\n"), "the router's limits differ from the kernel's arrays");
    }

    @Test
    void fp8WeightsNeedScalesThatDescribeTheirRows() {
        try (Arena arena = Arena.ofConfined()) {
            // two experts of 200 x 300: ceil(300/128) * ceil(200/128) = 3 * 2 scales each
            MemorySegment data = arena.allocate(4 * 12);
            BlockScales scales = new BlockScales(data, 128, 128, 200, 300);
            CudaKernelBackend.checkScales("w", TensorType.F8_E4M3, new long[] {300, 200, 2}, scales);
            assertThrows(IllegalArgumentException.class,
                    () -> CudaKernelBackend.checkScales("w", TensorType.F8_E4M3, new long[] {300, 200}, null));
            assertThrows(IllegalArgumentException.class,
                    () -> CudaKernelBackend.checkScales("w", TensorType.Q8_0, new long[] {320, 200}, scales));
            assertThrows(IllegalArgumentException.class,
                    () -> CudaKernelBackend.checkScales("w", TensorType.F8_E4M3, new long[] {256, 200}, scales));
            assertThrows(IllegalArgumentException.class,
                    () -> CudaKernelBackend.checkScales("w", TensorType.F8_E4M3, new long[] {300, 200, 3}, scales));
            CudaKernelBackend.checkScales("w", TensorType.Q8_0, new long[] {320, 200}, null);
        }
    }
}
