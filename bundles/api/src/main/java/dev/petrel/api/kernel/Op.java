package dev.petrel.api.kernel;

/**
 * The operations a forward pass of llama, qwen2, qwen3 and deepseek2 (MLA, MoE) is built
 * from. Each has one method on {@link ComputeStream}, where its shapes are given.
 *
 * <p>{@link KernelBackend#supports(Op, dev.petrel.api.weights.TensorType...)} takes, after the
 * op, the types named here (further operands are F32, ids I32).
 */
public enum Op {
    /** Embedding lookup; types: the table's type. */
    GET_ROWS,
    /** Weight × activation batch, {@code y = W x}; types: the weight's type. */
    MATMUL,
    /** One weight matrix per head (MLA absorption); types: the weight's type. */
    MATMUL_HEADS,
    /** One weight matrix per chosen expert (MoE gather); types: the weight's type. */
    MATMUL_EXPERTS,
    /** Element-wise sum with broadcast. */
    ADD,
    /** Element-wise product with broadcast. */
    MUL,
    /** Multiplication by a constant. */
    SCALE,
    /** RMS normalisation of each row, times an optional weight. */
    RMS_NORM,
    /** Rotary position embedding: normal (adjacent pairs) or NeoX (halves), YaRN. */
    ROPE,
    /** Softmax of each row. */
    SOFTMAX,
    /** Element-wise logistic function. */
    SIGMOID,
    /** SwiGLU: {@code silu(gate) * up}. */
    SILU_MUL,
    /** Causal attention of a query batch over a key/value cache, GQA; types: the cache's type. */
    ATTENTION,
    /** MoE router: scores to chosen experts and their weights. */
    MOE_ROUTE,
    /** MoE scatter: weighted sum of the chosen experts' outputs. */
    MOE_COMBINE,
    /** Index of the largest element of each row. */
    ARGMAX,
    /** Copy of a column range of rows, with F32/F16/BF16 conversion; types: source, destination. */
    COPY,
    /** Concatenation of rows, the second operand broadcast over heads. */
    CONCAT
}
