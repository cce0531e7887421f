// Kernels of Petrel's CUDA backend (bundles/kernels-cuda), compiled to PTX for compute
// capability 8.0 and 9.0 by kernels-native/build-ptx. Every tensor is contiguous, dims
// contiguous first as in the api: a tensor {n, T} is T rows of n elements. Weight blocks are
// ggml's: Q8_0 = f16 scale + 32 int8 (34 bytes), Q4_0 = f16 scale + 16 bytes of nibbles
// (low nibbles elements 0..15, high nibbles 16..31, value nibble - 8) (18 bytes).
//
// The Java backend quantizes activations to the weight's dot type before a quantized dot;
// these kernels keep activations in float. The api allows CUDA an NMSE of 5e-4 for those
// matmuls (see dev.petrel.api.kernel's package notes).
#include <cuda_fp16.h>

#define THREADS 256

extern "C" {

__device__ __forceinline__ float half_at(const unsigned char* p) {
    unsigned short bits = (unsigned short) (p[0] | (p[1] << 8));
    return __half2float(__ushort_as_half(bits));
}

__device__ __forceinline__ float bf16_to_float(unsigned short bits) {
    return __uint_as_float(((unsigned int) bits) << 16);
}

__device__ __forceinline__ unsigned short float_to_bf16(float f) {
    unsigned int bits = __float_as_uint(f);
    if ((bits & 0x7fffffffu) > 0x7f800000u) {
        return (unsigned short) ((bits >> 16) | 0x40u);   // quiet NaN
    }
    return (unsigned short) ((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);   // nearest even
}

// FP8 E4M3 ("e4m3fn"): the 7 magnitude bits moved into a float's exponent and mantissa and
// rebiased by 2^(127-7), exact for subnormal codes too; 0x7F/0xFF are NaN (as F8E4M3Kernel).
__device__ __forceinline__ float e4m3_to_float(unsigned char b) {
    int magnitude = b & 0x7f;
    if (magnitude == 0x7f) return __int_as_float(0x7fc00000);
    float value = __int_as_float(magnitude << 20) * 0x1p120f;
    return (b & 0x80) ? -value : value;
}

// The correctly rounded float of e^x, as the Java reference's expf ((float) Math.exp(x)).
__device__ __forceinline__ float exp_rounded(float x) {
    return (float) exp((double) x);
}

// Element i of a weight row of the given type (0 F32, 1 F16, 2 BF16, 8 Q8_0, 9 Q4_0, 100 F8_E4M3
// unscaled: the block scales are applied by the callers).
__device__ __forceinline__ float weight_at(const unsigned char* row, int type, long i) {
    switch (type) {
        case 0: return ((const float*) row)[i];
        case 1: return half_at(row + 2 * i);
        case 2: return bf16_to_float((unsigned short) (row[2 * i] | (row[2 * i + 1] << 8)));
        case 8: {
            const unsigned char* block = row + 34 * (i / 32);
            return half_at(block) * (float) (signed char) block[2 + i % 32];
        }
        case 9: {
            const unsigned char* block = row + 18 * (i / 32);
            int j = (int) (i % 32);
            int q = j < 16 ? (block[2 + j] & 0x0f) : (block[2 + j - 16] >> 4);
            return half_at(block) * (float) (q - 8);
        }
        case 100: return e4m3_to_float(row[i]);
        default: return 0.0f;
    }
}

// Block-wide sum; every thread gets the result.
__device__ float block_sum(float v) {
    __shared__ float partial[THREADS / 32];
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    __syncthreads();
    if (lane == 0) partial[warp] = v;
    __syncthreads();
    float total = 0.0f;
    for (int w = 0; w < (int) (blockDim.x / 32); w++) total += partial[w];
    return total;
}

__device__ float block_max(float v) {
    __shared__ float partial[THREADS / 32];
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    __syncthreads();
    if (lane == 0) partial[warp] = v;
    __syncthreads();
    float best = -INFINITY;
    for (int w = 0; w < (int) (blockDim.x / 32); w++) best = fmaxf(best, partial[w]);
    return best;
}

// ---- element-wise ----------------------------------------------------------------------

// op 0: out = a + b, op 1: out = a * b; b broadcast where its dim is 1 (dims of 4, padded with 1).
__global__ void binary_f32(const float* a, const float* b, float* out, long n, int op,
        int a0, int a1, int a2, int b0, int b1, int b2, int b3) {
    long i = blockIdx.x * (long) blockDim.x + threadIdx.x;
    if (i >= n) return;
    long i0 = i % a0, r = i / a0;
    long i1 = r % a1; r /= a1;
    long i2 = r % a2, i3 = r / a2;
    long j = (((i3 % b3) * b2 + (i2 % b2)) * b1 + (i1 % b1)) * b0 + (i0 % b0);
    out[i] = op == 0 ? a[i] + b[j] : a[i] * b[j];
}

__global__ void scale_f32(const float* x, float* out, long n, float factor) {
    long i = blockIdx.x * (long) blockDim.x + threadIdx.x;
    if (i < n) out[i] = x[i] * factor;
}

__global__ void sigmoid_f32(const float* x, float* out, long n) {
    long i = blockIdx.x * (long) blockDim.x + threadIdx.x;
    if (i < n) out[i] = 1.0f / (1.0f + expf(-x[i]));
}

__global__ void silu_mul_f32(const float* gate, const float* up, float* out, long n) {
    long i = blockIdx.x * (long) blockDim.x + threadIdx.x;
    if (i < n) {
        float g = gate[i];
        out[i] = g / (1.0f + expf(-g)) * up[i];
    }
}

// ---- rows ------------------------------------------------------------------------------

// One block per row; weight may be null.
__global__ void rms_norm_f32(const float* x, const float* weight, float* out, int n, float eps) {
    const float* row = x + (long) blockIdx.x * n;
    float* dst = out + (long) blockIdx.x * n;
    float squares = 0.0f;
    for (int i = threadIdx.x; i < n; i += blockDim.x) squares += row[i] * row[i];
    float scale = rsqrtf(block_sum(squares) / n + eps);
    for (int i = threadIdx.x; i < n; i += blockDim.x) dst[i] = row[i] * scale * (weight ? weight[i] : 1.0f);
}

__global__ void softmax_f32(const float* x, float* out, int n, float scale) {
    const float* row = x + (long) blockIdx.x * n;
    float* dst = out + (long) blockIdx.x * n;
    float best = -INFINITY;
    for (int i = threadIdx.x; i < n; i += blockDim.x) best = fmaxf(best, row[i] * scale);
    best = block_max(best);
    float sum = 0.0f;
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
        float e = expf(row[i] * scale - best);
        dst[i] = e;
        sum += e;
    }
    float inv = 1.0f / block_sum(sum);
    for (int i = threadIdx.x; i < n; i += blockDim.x) dst[i] *= inv;
}

// Lowest index of the largest element of each row.
__global__ void argmax_f32(const float* x, int* out, int n) {
    __shared__ float values[THREADS];
    __shared__ int indices[THREADS];
    const float* row = x + (long) blockIdx.x * n;
    float best = -INFINITY;
    int at = n;
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
        if (row[i] > best || at == n) { best = row[i]; at = i; }
    }
    values[threadIdx.x] = best;
    indices[threadIdx.x] = at;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) {
            float v = values[threadIdx.x + s];
            int k = indices[threadIdx.x + s];
            if (v > values[threadIdx.x] || (v == values[threadIdx.x] && k < indices[threadIdx.x])) {
                values[threadIdx.x] = v;
                indices[threadIdx.x] = k;
            }
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) out[blockIdx.x] = indices[0];
}

// ---- weights ---------------------------------------------------------------------------

// out[t * nOut + o] = sum_i W[o][i] * x[t * nIn + i]; grid (nOut, T), one block per output.
__global__ void matmul(const unsigned char* w, int type, long rowBytes, const float* x, float* out,
        int nIn, int nOut) {
    int o = blockIdx.x, t = blockIdx.y;
    const unsigned char* row = w + (long) o * rowBytes;
    const float* xs = x + (long) t * nIn;
    float acc = 0.0f;
    for (int i = threadIdx.x; i < nIn; i += blockDim.x) acc += weight_at(row, type, i) * xs[i];
    acc = block_sum(acc);
    if (threadIdx.x == 0) out[(long) t * nOut + o] = acc;
}

// out[:, t] = dequantize(table row ids[t]); grid (T).
__global__ void get_rows(const unsigned char* table, int type, long rowBytes, const int* ids, float* out, int n) {
    const unsigned char* row = table + (long) ids[blockIdx.x] * rowBytes;
    float* dst = out + (long) blockIdx.x * n;
    for (int i = threadIdx.x; i < n; i += blockDim.x) dst[i] = weight_at(row, type, i);
}

// Column range copy between float types (0 F32, 1 F16, 2 BF16); grid (rows).
__global__ void copy_float(const unsigned char* src, int srcType, long srcRow, long srcColumn,
        unsigned char* dst, int dstType, long dstRow, long dstColumn, int columns) {
    const unsigned char* from = src + (long) blockIdx.x * srcRow;
    unsigned char* to = dst + (long) blockIdx.x * dstRow;
    for (int c = threadIdx.x; c < columns; c += blockDim.x) {
        float v = weight_at(from, srcType, srcColumn + c);
        long j = dstColumn + c;
        if (dstType == 0) {
            ((float*) to)[j] = v;
        } else if (dstType == 1) {
            ((__half*) to)[j] = __float2half_rn(v);
        } else {
            ((unsigned short*) to)[j] = float_to_bf16(v);
        }
    }
}

// One matrix per head (mode 0: matrix r % heads for row r of x) or per chosen expert (mode 1:
// matrix ids[r], x row r, or r / k when x has one row per token); grid (nOut, rows of out).
__global__ void matmul_select(const unsigned char* w, int type, long rowBytes, long matrixBytes, const float* x,
        float* out, int nIn, int nOut, int mode, int heads, const int* ids, int k, int xPerToken) {
    int o = blockIdx.x;
    long r = blockIdx.y;
    long m = mode == 0 ? r % heads : ids[r];
    long xr = mode == 1 && xPerToken ? r / k : r;
    const unsigned char* row = w + m * matrixBytes + (long) o * rowBytes;
    const float* xs = x + xr * nIn;
    float acc = 0.0f;
    for (int i = threadIdx.x; i < nIn; i += blockDim.x) acc += weight_at(row, type, i) * xs[i];
    acc = block_sum(acc);
    if (threadIdx.x == 0) out[r * nOut + o] = acc;
}

// MoE scatter: out[:, t] = sum_j weights[j, t] * expertOut[:, j, t]; grid (T).
__global__ void moe_combine_f32(const float* expertOut, const float* weights, float* out, int n, int k) {
    int t = blockIdx.x;
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
        float acc = 0.0f;
        for (int j = 0; j < k; j++) acc += weights[(long) t * k + j] * expertOut[((long) t * k + j) * n + i];
        out[(long) t * n + i] = acc;
    }
}

// out[:, h, t] = a[:, h, t] ++ b[:, h (or 0 when b has one head), t]; grid (heads, T).
__global__ void concat_f32(const float* a, const float* b, float* out, int na, int nb, int heads, int bHeads) {
    int h = blockIdx.x, t = blockIdx.y;
    const float* ar = a + ((long) t * heads + h) * na;
    const float* br = b + ((long) t * bHeads + (bHeads == 1 ? 0 : h)) * nb;
    float* o = out + ((long) t * heads + h) * (na + nb);
    for (int i = threadIdx.x; i < na + nb; i += blockDim.x) o[i] = i < na ? ar[i] : br[i - na];
}

// ---- block-scaled FP8 ------------------------------------------------------------------

// Block scales as dev.petrel.api.quant.BlockScales: F32 {ceil(cols / bc), ceil(rows / br),
// matrices}; row counts through the stacked matrices of `rows` rows each.
__device__ __forceinline__ float block_scale(const float* scales, int blockRows, int blockColumns, long rows,
        long columns, long row, long column) {
    long matrix = row / rows, r = row % rows;
    long across = (columns + blockColumns - 1) / blockColumns;
    long down = (rows + blockRows - 1) / blockRows;
    return scales[(matrix * down + r / blockRows) * across + column / blockColumns];
}

// FP8 E4M3 matrix product with block scales, as F8E4M3Kernel.dotScaled: per block of
// blockColumns columns the unscaled dot, then sum = fma(scale, blockDot, sum) in column order.
// mode 0: plain matmul (matrix 0, x row r); 1: per head (matrix r % heads); 2: per chosen
// expert (matrix ids[r], x row r or r / k when xPerToken). Scale rows start at scaleRow0 (a
// view's first row). grid (nOut, rows of out).
__global__ void matmul_f8(const unsigned char* w, const float* x, float* out, int nIn, int nOut, int mode,
        int heads, const int* ids, int k, int xPerToken, const float* scales, long scaleRow0, int blockRows,
        int blockColumns, long scaleRows) {
    int o = blockIdx.x;
    long r = blockIdx.y;
    long m = mode == 0 ? 0 : mode == 1 ? r % heads : ids[r];
    long xr = mode == 2 && xPerToken ? r / k : r;
    long wRow = m * nOut + o;
    const unsigned char* row = w + wRow * (long) nIn;
    const float* xs = x + xr * nIn;
    float sum = 0.0f;
    for (int c0 = 0; c0 < nIn; c0 += blockColumns) {
        int end = min(nIn, c0 + blockColumns);
        float partial = 0.0f;
        for (int i = c0 + threadIdx.x; i < end; i += blockDim.x) partial += e4m3_to_float(row[i]) * xs[i];
        partial = block_sum(partial);
        sum = fmaf(block_scale(scales, blockRows, blockColumns, scaleRows, nIn, scaleRow0 + wRow, c0), partial, sum);
    }
    if (threadIdx.x == 0) out[r * nOut + o] = sum;
}

// out[:, t] = decode(table row ids[t]) * its block scales, as Rows.dequantize; grid (T).
__global__ void get_rows_f8(const unsigned char* table, const int* ids, float* out, int n, const float* scales,
        long scaleRow0, int blockRows, int blockColumns, long scaleRows) {
    long id = ids[blockIdx.x];
    const unsigned char* row = table + id * n;
    float* dst = out + (long) blockIdx.x * n;
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
        dst[i] = e4m3_to_float(row[i]) * block_scale(scales, blockRows, blockColumns, scaleRows, n, scaleRow0 + id, i);
    }
}

// ---- MoE router ------------------------------------------------------------------------

#define MAX_EXPERTS 1024
#define MAX_GROUPS 64

// MOE_ROUTE of one token per block, as the scalar MoeRouter: gating (softmax: max, e^(x - max)
// summed in double, one reciprocal in double rounded to float; or sigmoid), selection scores
// plus the optional bias, group limit (a group scores the sum of its two best), top `used`
// (higher first, lower id on ties), weights = unbiased probabilities, over their sum (double,
// clamped below at 2^-14) when normalize, times scale. One thread does the token's work in the
// reference's order: a router row is a few hundred values, and the ordered loops keep ties and
// roundings identical to the reference. grid (T).
__global__ void moe_route(const float* logits, const float* bias, int* ids, float* weights, int experts, int sigmoid,
        int used, int groups, int groupsUsed, int normalize, float scale) {
    __shared__ float p[MAX_EXPERTS];
    __shared__ float s[MAX_EXPERTS];
    __shared__ float groupScores[MAX_GROUPS];
    __shared__ int kept[MAX_GROUPS];
    if (threadIdx.x != 0) return;
    long t = blockIdx.x;
    const float* row = logits + t * experts;
    if (sigmoid) {
        for (int e = 0; e < experts; e++) p[e] = 1.0f / (1.0f + exp_rounded(-row[e]));
    } else {
        float best = -INFINITY;
        for (int e = 0; e < experts; e++) {
            p[e] = row[e] * 1.0f;
            best = fmaxf(best, p[e]);
        }
        double total = 0.0;
        for (int e = 0; e < experts; e++) {
            float v = exp_rounded(p[e] - best);
            total += v;
            p[e] = v;
        }
        float normalizer = (float) (1.0 / total);
        for (int e = 0; e < experts; e++) p[e] *= normalizer;
    }
    for (int e = 0; e < experts; e++) s[e] = bias ? p[e] + bias[e] : p[e];
    if (groups > 1) {
        int size = experts / groups;
        for (int g = 0; g < groups; g++) {
            float first = -INFINITY, second = -INFINITY;
            for (int e = g * size; e < (g + 1) * size; e++) {
                if (s[e] > first) {
                    second = first;
                    first = s[e];
                } else if (s[e] > second) {
                    second = s[e];
                }
            }
            groupScores[g] = first + second;
            kept[g] = 0;
        }
        for (int i = 0; i < groupsUsed; i++) {
            int best = -1;
            for (int g = 0; g < groups; g++) {
                if (!kept[g] && (best < 0 || groupScores[g] > groupScores[best])) best = g;
            }
            kept[best] = 1;
        }
        for (int g = 0; g < groups; g++) {
            if (!kept[g]) {
                for (int e = g * size; e < (g + 1) * size; e++) s[e] = -INFINITY;
            }
        }
    }
    double sum = 0.0;
    for (int j = 0; j < used; j++) {
        int best = 0;
        for (int e = 1; e < experts; e++) {
            if (s[e] > s[best]) best = e;
        }
        s[best] = -INFINITY;
        ids[t * used + j] = best;
        weights[t * used + j] = p[best];
        sum += p[best];
    }
    float total = fmaxf((float) sum, 6.103515625e-5f);
    for (int j = 0; j < used; j++) {
        float v = weights[t * used + j];
        if (normalize) v = v / total;
        weights[t * used + j] = v * scale;
    }
}

// ---- attention -------------------------------------------------------------------------

// RoPE on {d, heads, T} rows, as the Java reference's RopeAngles: pair p (elements (p, p +
// dims/2) for NeoX, (2p, 2p + 1) for normal) of the token at position pos turns by theta_p,
// where theta starts at pos and is multiplied p times by thetaScale in float (ggml's rope
// cache), divided by factors[p], then mixed by YaRN: interpolated = freqScale * theta; with
// extFactor != 0, mix = ramp(p) * extFactor over [corrLow, corrHigh] and theta = interpolated *
// (1 - mix) + theta * mix. cos/sin are scaled by magnitude (attnFactor, times YaRN's
// 1 + 0.1 ln(1 / freqScale)). The host computes thetaScale, the correction range and magnitude
// with the reference's own Java expressions (CudaRope). grid (heads, T).
__global__ void rope_f32(const float* x, float* out, int d, int heads, int position0, int column, int dims,
        int neox, float thetaScale, float freqScale, const float* factors, float extFactor, float corrLow,
        float corrHigh, float magnitude) {
    int h = blockIdx.x, t = blockIdx.y;
    long base = ((long) t * heads + h) * d;
    for (int i = threadIdx.x; i < d; i += blockDim.x) {
        if (x != out) out[base + i] = x[base + i];
    }
    __syncthreads();
    for (int p = threadIdx.x; p < dims / 2; p += blockDim.x) {
        float theta = (float) (position0 + t);
        for (int j = 0; j < p; j++) theta = __fmul_rn(theta, thetaScale);
        float extrapolated = __fdiv_rn(theta, factors ? factors[p] : 1.0f);
        float interpolated = __fmul_rn(freqScale, extrapolated);
        float angle = interpolated;
        if (extFactor != 0.0f) {
            // _rn intrinsics: no fused multiply-adds, so the angle rounds as the reference's does
            float y = __fdiv_rn((float) p - corrLow, fmaxf(0.001f, corrHigh - corrLow));
            float mix = __fmul_rn(1.0f - fminf(1.0f, fmaxf(0.0f, y)), extFactor);
            angle = __fadd_rn(__fmul_rn(interpolated, 1.0f - mix), __fmul_rn(extrapolated, mix));
        }
        float c = (float) cos((double) angle) * magnitude;
        float s = (float) sin((double) angle) * magnitude;
        long i0 = base + column + (neox ? p : 2 * p);
        long i1 = base + column + (neox ? p + dims / 2 : 2 * p + 1);
        float a = x[i0], b = x[i1];
        out[i0] = __fsub_rn(__fmul_rn(a, c), __fmul_rn(b, s));
        out[i1] = __fadd_rn(__fmul_rn(a, s), __fmul_rn(b, c));
    }
}

// Causal GQA attention of q {dk, H, T} over caches k {dk, Hkv, P}, v {dvRow, Hkv, P} of type
// cacheType (0 F32, 1 F16, 2 BF16); scores is scratch of H * T * P floats. grid (H, T).
__global__ void attention(const float* q, const unsigned char* k, const unsigned char* v, int cacheType,
        float* scores, float* out, int dk, int dvRow, int dv, int heads, int kvHeads, int positions,
        int position0, float scale) {
    int h = blockIdx.x, t = blockIdx.y, hkv = h / (heads / kvHeads);
    int last = position0 + t;
    int elementBytes = cacheType == 0 ? 4 : 2;
    const float* qs = q + ((long) t * heads + h) * dk;
    float* sc = scores + ((long) t * heads + h) * positions;
    float best = -INFINITY;
    for (int j = 0; j <= last; j++) {
        const unsigned char* krow = k + ((long) j * kvHeads + hkv) * dk * elementBytes;
        float dot = 0.0f;
        for (int i = threadIdx.x; i < dk; i += blockDim.x) dot += qs[i] * weight_at(krow, cacheType, i);
        dot = block_sum(dot) * scale;
        if (threadIdx.x == 0) sc[j] = dot;
        best = fmaxf(best, dot);
    }
    __syncthreads();
    float sum = 0.0f;
    for (int j = threadIdx.x; j <= last; j += blockDim.x) {
        float e = expf(sc[j] - best);
        sc[j] = e;
        sum += e;
    }
    float inv = 1.0f / block_sum(sum);
    __syncthreads();
    float* dst = out + ((long) t * heads + h) * dv;
    for (int i = threadIdx.x; i < dv; i += blockDim.x) {
        float acc = 0.0f;
        for (int j = 0; j <= last; j++) {
            const unsigned char* vrow = v + ((long) j * kvHeads + hkv) * dvRow * elementBytes;
            acc += sc[j] * weight_at(vrow, cacheType, i);
        }
        dst[i] = acc * inv;
    }
}

}
