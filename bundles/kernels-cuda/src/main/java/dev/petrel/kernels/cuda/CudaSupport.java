package dev.petrel.kernels.cuda;

import dev.petrel.api.kernel.Op;
import dev.petrel.api.weights.TensorType;
import java.util.List;
import java.util.Set;

/**
 * What the kernels of kernels-native cover, by op and operand types: the answer of
 * {@link CudaKernelBackend#supports}, kept apart from the driver so that it can be checked
 * without a GPU.
 */
final class CudaSupport {

    /** Weight types the matrix products and row lookup read (FP8 with its block scales). */
    static final Set<TensorType> WEIGHTS = Set.of(TensorType.F32, TensorType.F16, TensorType.BF16, TensorType.Q8_0,
            TensorType.Q4_0, TensorType.F8_E4M3);
    static final Set<TensorType> FLOATS = Set.of(TensorType.F32, TensorType.F16, TensorType.BF16);

    /** The kernels' entry points in the PTX, looked up when the backend opens. */
    static final List<String> FUNCTIONS = List.of("binary_f32", "scale_f32", "sigmoid_f32", "silu_mul_f32",
            "rms_norm_f32", "softmax_f32", "argmax_f32", "matmul", "get_rows", "copy_float", "rope_f32", "attention",
            "matmul_select", "moe_combine_f32", "concat_f32", "matmul_f8", "get_rows_f8", "moe_route");

    /** Largest expert count and group count of MOE_ROUTE (the kernel's shared arrays). */
    static final int MAX_EXPERTS = 1024;
    static final int MAX_GROUPS = 64;

    private CudaSupport() {
    }

    static boolean supports(Op op, TensorType... types) {
        return switch (op) {
            case GET_ROWS, MATMUL, MATMUL_HEADS, MATMUL_EXPERTS ->
                    types.length <= 1 && (types.length == 0 || WEIGHTS.contains(types[0]));
            case ATTENTION -> types.length <= 1 && (types.length == 0 || FLOATS.contains(types[0]));
            case COPY -> types.length < 2 ? types.length == 0 || holds(types[0])
                    : (types[0] == types[1] && holds(types[0])) || (FLOATS.contains(types[0]) && FLOATS.contains(types[1]));
            case ADD, MUL, SCALE, SIGMOID, SILU_MUL, RMS_NORM, SOFTMAX, ARGMAX, ROPE, MOE_ROUTE, MOE_COMBINE, CONCAT ->
                    types.length == 0 || (types.length == 1 && types[0] == TensorType.F32);
        };
    }

    /** Types a tensor of this backend may have. */
    static boolean holds(TensorType type) {
        return WEIGHTS.contains(type) || type == TensorType.I32;
    }

    /** The kernels' type codes: ggml ids for the weight types, 2 for BF16, 100 for FP8 E4M3. */
    static int code(TensorType type) {
        return switch (type) {
            case F32 -> 0;
            case F16 -> 1;
            case BF16 -> 2;
            case Q8_0 -> 8;
            case Q4_0 -> 9;
            case F8_E4M3 -> 100;
            default -> throw new UnsupportedOperationException(type + " is not read by the cuda kernels");
        };
    }
}
