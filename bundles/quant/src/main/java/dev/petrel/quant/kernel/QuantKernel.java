package dev.petrel.quant.kernel;

import dev.petrel.api.weights.TensorType;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * Codec and dot-product kernels of one weight format, read in place from memory (a mapped
 * GGUF file, an off-heap buffer): ggml's block layout, little-endian, no alignment assumed.
 *
 * <p>A matrix-vector product with a weight in this format goes as in ggml: the activation row
 * is first converted to the format's {@linkplain #dotType() dot type} by
 * {@link #quantizeActivations}, then each weight row is multiplied with it by {@link #dot}
 * (one row) or {@link #matmul} (many rows and many activation rows, reading each weight row
 * once per tile of tokens). Dequantization and the quantizers are bit-exact with ggml; dot
 * products use ggml's arithmetic (integer sums per block for Q8_0 and Q4_0) and differ from it
 * only in the order of float additions.
 *
 * <p>Each format has two instances with the same results up to that order: the
 * {@linkplain #vector(TensorType) vector} one (Vector API) and the {@linkplain #scalar(TensorType)
 * scalar} reference, a plain transcription of ggml's generic C code. Every kernel of the vector
 * instance adds in a fixed order, so it returns the same bits on every call, interpreted or
 * compiled, and {@link #matmul} returns exactly what {@link #dot} returns row by row.
 *
 * <p>Sizes: {@code n} counts elements and must be a multiple of the {@linkplain TensorType#blockSize()
 * block size} of the type in question; offsets into segments are in bytes, offsets into arrays
 * in elements. Segments may be native (mapped files, arenas) or heap segments backed by a
 * {@code byte[]} (the Vector API reads no other heap segments). Accesses outside a segment or
 * an array throw {@link IndexOutOfBoundsException}. The dot products read native segments
 * through a global view (see {@code view}), without their arena's liveness check: keep the
 * memory alive while a call runs. Making such a view ({@code MemorySegment.reinterpret}) is a
 * restricted operation of java.lang.foreign: run with {@code --enable-native-access} for the
 * bundle's module ({@code ALL-UNNAMED} under OSGi), or the JDK prints a warning once.
 *
 * <p>Instances are immutable and thread-safe; kernels allocate nothing per block or row.
 * Prefer {@link #matmul} to a loop of {@link #dot} calls: it is the same arithmetic, and the
 * JIT compiles its inner loop for the one kernel.
 */
public abstract sealed class QuantKernel permits F32Kernel, F16Kernel, BF16Kernel, Q8_0Kernel, Q4_0Kernel,
        F8E4M3Kernel {

    private final boolean vectorized;

    QuantKernel(boolean vectorized) {
        this.vectorized = vectorized;
    }

    /**
     * Whether {@code type} has kernels here (F32, F16, BF16, Q8_0, Q4_0, and F8_E4M3, whose
     * weights need {@link dev.petrel.api.quant.BlockScales}: see {@link F8E4M3Kernel}).
     */
    public static boolean supports(TensorType type) {
        return switch (Objects.requireNonNull(type, "type")) {
            case F32, F16, BF16, Q8_0, Q4_0, F8_E4M3 -> true;
            default -> false;
        };
    }

    /**
     * The Vector API kernels of a format.
     *
     * @throws UnsupportedOperationException naming the type when it has none here
     */
    public static QuantKernel vector(TensorType type) {
        return switch (Objects.requireNonNull(type, "type")) {
            case F32 -> F32Kernel.VECTOR;
            case F16 -> F16Kernel.VECTOR;
            case BF16 -> BF16Kernel.VECTOR;
            case Q8_0 -> Q8_0Kernel.VECTOR;
            case Q4_0 -> Q4_0Kernel.VECTOR;
            case F8_E4M3 -> F8E4M3Kernel.VECTOR;
            default -> throw unsupported(type);
        };
    }

    /**
     * The scalar reference kernels of a format.
     *
     * @throws UnsupportedOperationException naming the type when it has none here
     */
    public static QuantKernel scalar(TensorType type) {
        return switch (Objects.requireNonNull(type, "type")) {
            case F32 -> F32Kernel.SCALAR;
            case F16 -> F16Kernel.SCALAR;
            case BF16 -> BF16Kernel.SCALAR;
            case Q8_0 -> Q8_0Kernel.SCALAR;
            case Q4_0 -> Q4_0Kernel.SCALAR;
            case F8_E4M3 -> F8E4M3Kernel.SCALAR;
            default -> throw unsupported(type);
        };
    }

    private static UnsupportedOperationException unsupported(TensorType type) {
        return new UnsupportedOperationException("no quant kernel for tensor type " + type
                + " (supported: F32, F16, BF16, Q8_0, Q4_0, F8_E4M3)");
    }

    /** The weight format. */
    public abstract TensorType type();

    /**
     * ggml's {@code vec_dot_type} of the format: what activations are converted to before a dot
     * product (Q8_0 for Q8_0 and Q4_0; F16, BF16 and F32 for themselves).
     */
    public abstract TensorType dotType();

    /** True for the Vector API instance, false for the scalar reference. */
    public final boolean vectorized() {
        return vectorized;
    }

    /** Bytes of a weight row of {@code n} elements. */
    public final long rowBytes(int n) {
        return type().rowBytes(n);
    }

    /** Bytes of an activation row of {@code n} elements in the {@link #dotType()}. */
    public final long activationBytes(int n) {
        return dotType().rowBytes(n);
    }

    // ---- codec -----------------------------------------------------------------------

    /**
     * Decodes {@code n} elements of this format at {@code src[srcOffset]} into
     * {@code dst[dstOffset ..]}, bit-exact with ggml's {@code dequantize_row_*} / {@code to_float}.
     */
    public abstract void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n);

    /**
     * Encodes {@code n} floats into this format as ggml's reference quantizer does
     * ({@code quantize_row_*_ref}, what {@code llama-quantize} and {@code convert_hf_to_gguf}
     * produce): for writing weights, not activations.
     */
    public abstract void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n);

    /**
     * Converts an activation row to the {@link #dotType()} exactly as llama.cpp's CPU backend
     * does before a matmul on x86 ({@code from_float} of the dot type: for Q8_0 the AVX2
     * {@code quantize_row_q8_0}, which differs from the reference quantizer in its inverse scale
     * and its rounding of ties). Writes {@link #activationBytes(int) activationBytes(n)} bytes.
     */
    public abstract void quantizeActivations(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n);

    /**
     * {@link #quantizeActivations(float[], int, MemorySegment, long, int)} from little-endian
     * F32 values in a segment (at byte {@code srcOffset}); same result.
     */
    public abstract void quantizeActivations(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset,
            int n);

    // ---- dot products ------------------------------------------------------------------

    /**
     * The dot product of {@code n} elements of a weight row (at byte {@code wOffset} of
     * {@code w}) with an activation row already in the {@link #dotType()} (at byte
     * {@code xOffset} of {@code x}).
     */
    public abstract float dot(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n);

    /**
     * {@link #dot} with the float additions in the order of ggml's plain x86
     * {@code vec_dot} (AVX2, also in AVX-512 builds), which llama.cpp's CPU backend uses where
     * no faster buffer type takes the matrix: for Q8_0 that is every stacked expert matrix
     * ({@code MUL_MAT_ID}; the AMX buffer type serves {@code MUL_MAT} only). The results differ
     * from {@link #dot} by a few ulps, enough to flip a later 8-bit rounding and, through it, a
     * router's choice. Formats without such a difference return {@link #dot}.
     */
    public float dotInVecDotOrder(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        return dot(w, wOffset, x, xOffset, n);
    }

    /**
     * A block of a matrix product: {@code rows} weight rows (contiguous from {@code wOffset},
     * {@link #rowBytes(int) rowBytes(n)} apart) times {@code tokens} activation rows in the dot
     * type (contiguous from {@code xOffset}, {@link #activationBytes(int) activationBytes(n)}
     * apart):
     *
     * <pre>out[outOffset + t * outStride + r] = dot(weight row r, activation row t)</pre>
     *
     * Tokens go in tiles whose activations stay in the core's cache; within a tile each weight
     * row is read from memory once and used for every token, so a prompt of T tokens streams
     * the weights about T / tile times instead of T times. Each result is exactly what
     * {@link #dot} returns for its pair. Threads split the rows.
     */
    public final void matmul(MemorySegment w, long wOffset, int rows, MemorySegment x, long xOffset, int tokens,
            float[] out, int outOffset, int outStride, int n) {
        checkMatmul(rows, tokens, n);
        w = view(w);
        x = view(x);
        long rowBytes = rowBytes(n);
        long xBytes = activationBytes(n);
        int tile = tile(tokens, xBytes);
        float[] results = new float[tile];
        for (int t0 = 0; t0 < tokens; t0 += tile) {
            int count = Math.min(tile, tokens - t0);
            for (int r = 0; r < rows; r++) {
                dotTokens(w, wOffset + r * rowBytes, x, xOffset + t0 * xBytes, xBytes, count, results, n);
                for (int t = 0; t < count; t++) {
                    out[outOffset + (t0 + t) * outStride + r] = results[t];
                }
            }
        }
    }

    /**
     * {@link #matmul(MemorySegment, long, int, MemorySegment, long, int, float[], int, int, int)}
     * into little-endian F32 values of a segment: the result of row {@code r} and token
     * {@code t} goes to byte {@code outOffset + t * outStride + 4 * r} ({@code outStride} in
     * bytes).
     */
    public final void matmul(MemorySegment w, long wOffset, int rows, MemorySegment x, long xOffset, int tokens,
            MemorySegment out, long outOffset, long outStride, int n) {
        checkMatmul(rows, tokens, n);
        w = view(w);
        x = view(x);
        long rowBytes = rowBytes(n);
        long xBytes = activationBytes(n);
        int tile = tile(tokens, xBytes);
        float[] results = new float[tile];
        for (int t0 = 0; t0 < tokens; t0 += tile) {
            int count = Math.min(tile, tokens - t0);
            for (int r = 0; r < rows; r++) {
                dotTokens(w, wOffset + r * rowBytes, x, xOffset + t0 * xBytes, xBytes, count, results, n);
                for (int t = 0; t < count; t++) {
                    out.set(Simd.FLOAT_LE, outOffset + (t0 + t) * outStride + 4L * r, results[t]);
                }
            }
        }
    }

    /**
     * {@code out[t] = dot(w at wOffset, activation row at xOffset + t * xStride)} for
     * {@code t < tokens}: one weight row, read once, against a tile of tokens. Implemented by
     * each kernel class with a direct call to its own dot, so the JIT compiles each kernel's loop
     * with that kernel alone.
     */
    abstract void dotTokens(MemorySegment w, long wOffset, MemorySegment x, long xOffset, long xStride, int tokens,
            float[] out, int n);

    /** Activation bytes a token tile may take: well inside the L2 cache of current cores. */
    static final long TILE_BYTES = 256 * 1024;

    private static int tile(int tokens, long xBytes) {
        return (int) Math.max(1, Math.min(tokens, TILE_BYTES / Math.max(1, xBytes)));
    }

    /**
     * A global-scope view of a native segment (mapped file or arena), bounds kept. Two reasons:
     * the JIT compiles the kernels for one segment class instead of a mix of mapped, arena and
     * global ones (a mix halves their speed, measured), and the view skips the per-access
     * liveness check of its arena. The caller keeps the memory alive for the call, as every
     * user of the kernels already must. Heap segments are returned as they are.
     */
    static MemorySegment view(MemorySegment s) {
        return s.isNative() ? MemorySegment.ofAddress(s.address()).reinterpret(s.byteSize()) : s;
    }

    // ---- argument checks ---------------------------------------------------------------

    private void checkMatmul(int rows, int tokens, int n) {
        if (rows < 0 || tokens < 0) {
            throw new IllegalArgumentException(type() + " matmul of " + rows + " rows and " + tokens
                    + " tokens: counts must not be negative");
        }
        checkLength(n, type().blockSize());
    }

    /** Throws unless {@code n} is a non-negative multiple of {@code blockSize}. */
    final void checkLength(int n, int blockSize) {
        if (n < 0 || n % blockSize != 0) {
            throw new IllegalArgumentException(type() + " row of " + n
                    + " elements: must be a non-negative multiple of " + blockSize);
        }
    }

    @Override
    public String toString() {
        return type() + (vectorized ? " vector" : " scalar") + " kernel";
    }
}
