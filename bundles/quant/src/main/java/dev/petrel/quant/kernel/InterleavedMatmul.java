package dev.petrel.quant.kernel;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/**
 * The matmul both row-interleaved layouts ({@link Q8_0Interleaved}, {@link Q4_0Interleaved})
 * share: rows outside whole groups go to the plain kernel; the groups are taken in batches
 * that stay in cache while the tokens pass over them, six tokens at a time (two groups per
 * pass, each weight vector serving six tokens; when the count is not a multiple of six the
 * last pass overlaps the one before), or one at a time when there are fewer than six: four
 * groups per pass, each activation vector serving the four (Q4_0 in 16-bit lanes, see
 * {@link NibbleActivations}, or the plain kernel for a token whose activations hold -128).
 * The kernels are called as plain static methods of the format's class, so every call site
 * is monomorphic.
 */
final class InterleavedMatmul {

    /** Groups a one-token pass covers, in both formats. */
    static final int GROUPS_PER_PASS = 4;
    /** Tokens a many-token pass serves: a caller that tiles tokens uses multiples of it. */
    static final int TOKENS = 6;
    /** Repacked bytes a batch covers: they stay in cache while the token steps pass over them. */
    private static final long BATCH_BYTES = 1024 * 1024;

    private InterleavedMatmul() {
    }

    /** The matmul of {@link Q8_0Interleaved} ({@code nibbles} false) or {@link Q4_0Interleaved}. */
    static void run(boolean nibbles, MemorySegment w, MemorySegment packed, long firstRow, int rows,
            MemorySegment x, long xOffset, int tokens, MemorySegment out, long outOffset, long outStride, int n) {
        QuantKernel plain = nibbles ? Q4_0Kernel.VECTOR : Q8_0Kernel.VECTOR;
        int group = nibbles ? Q4_0Interleaved.GROUP : Q8_0Interleaved.GROUP;
        long groupBytes = nibbles ? Q4_0Interleaved.packedBytes(group, n) : Q8_0Interleaved.packedBytes(group, n);
        long rowBytes = plain.rowBytes(n);
        long packedRows = packed.byteSize() / Math.max(1, groupBytes) * group;
        long end = firstRow + rows;
        long g0 = group == 0 ? end : Math.min(end, Math.ceilDiv(firstRow, group) * group);
        long g1 = group == 0 ? end : Math.max(g0, Math.min(end, packedRows) / group * group);
        if (g0 > firstRow) {
            plain.matmul(w, firstRow * rowBytes, (int) (g0 - firstRow), x, xOffset, tokens, out, outOffset, outStride,
                    n);
        }
        if (g1 > g0) {
            MemorySegment p = QuantKernel.view(packed);
            MemorySegment xs = QuantKernel.view(x);
            float[] results = new float[group];
            float[] passResults = new float[GROUPS_PER_PASS * group];
            long xBytes = plain.activationBytes(n);
            int blocks = n / Q8_0Kernel.BLOCK;
            int batch = (int) Math.max(GROUPS_PER_PASS,
                    BATCH_BYTES / Math.max(1, groupBytes) / GROUPS_PER_PASS * GROUPS_PER_PASS);
            // float activations serve every pass but Q4_0's one-token ones (NibbleActivations)
            ActivationFloats a = nibbles && tokens < TOKENS ? null : ActivationFloats.of(TOKENS, n);
            for (long r = g0; r < g1; r += (long) batch * group) {
                int groups = (int) Math.min(batch, (g1 - r) / group);
                long pOffset = r / group * groupBytes;
                long o = outOffset + 4L * (r - firstRow);
                float[] scales = nibbles && tokens >= TOKENS
                        ? Q4_0Interleaved.widenScales(p, pOffset, groups, blocks) : null;
                // passes of six tokens; the last one ends at the last token, taking again some
                // tokens of the pass before (the same results, written twice), which is cheaper
                // than one-token passes for the rest
                for (int start = 0; tokens >= TOKENS && start < tokens; start += TOKENS) {
                    int t = Math.min(start, tokens - TOKENS);
                    a.widen(xs, xOffset + t * xBytes, xBytes, TOKENS, n, nibbles);
                    int twos = groups / 2 * 2;
                    for (int g = 0; g < groups; g += g < twos ? 2 : 1) {
                        long pg = pOffset + g * groupBytes;
                        long og = o + t * outStride + 4L * group * g;
                        if (g < twos && nibbles) {
                            Q4_0Interleaved.tokens6Groups2(p, pg, groupBytes, a, n, blocks, scales, g * blocks * group,
                                    results, out, og, outStride);
                        } else if (g < twos) {
                            Q8_0Interleaved.tokens6Groups2(p, pg, groupBytes, a, n, blocks, results, out, og, outStride);
                        } else if (nibbles) {
                            Q4_0Interleaved.tokens6Group(p, pg, a, n, blocks, scales, g * blocks * group, results, out, og,
                                    outStride);
                        } else {
                            Q8_0Interleaved.tokens6Group(p, pg, a, n, blocks, results, out, og, outStride);
                        }
                    }
                }
                for (int t = 0; tokens < TOKENS && t < tokens; t++) { // fewer than six tokens: one at a time
                    long xt = xOffset + t * xBytes;
                    long ot = o + t * outStride;
                    if (!nibbles) {
                        a.widenOne(xs, xt, n);
                        int passes = groups / GROUPS_PER_PASS * GROUPS_PER_PASS;
                        for (int g = 0; g < groups; g += g < passes ? GROUPS_PER_PASS : 1) {
                            long pg = pOffset + g * groupBytes;
                            if (g < passes) {
                                Q8_0Interleaved.token1Groups4(p, pg, groupBytes, a, blocks, results, out, ot + 4L * group * g);
                            } else {
                                Q8_0Interleaved.token1Group(p, pg, a, blocks, results, out, ot + 4L * group * g);
                            }
                        }
                        continue;
                    }
                    NibbleActivations pairs = NibbleActivations.of(xs, xt, n);
                    if (!pairs.exact) { // -128 among the activations (NaN or infinite inputs): the plain kernel
                        plain.matmul(w, r * rowBytes, groups * group, x, xt, 1, out, ot, outStride, n);
                        continue;
                    }
                    int passes = groups / GROUPS_PER_PASS * GROUPS_PER_PASS;
                    for (int g = 0; g < groups; g += g < passes ? GROUPS_PER_PASS : 1) {
                        long pg = pOffset + g * groupBytes;
                        if (g < passes) {
                            Q4_0Interleaved.token1Groups4(p, pg, groupBytes, pairs, blocks, passResults);
                            MemorySegment.copy(passResults, 0, out, Simd.FLOAT_LE, ot + 4L * group * g, passResults.length);
                        } else {
                            Q4_0Interleaved.token1Group(p, pg, pairs, blocks, results, out, ot + 4L * group * g);
                        }
                    }
                }
            }
        }
        if (end > g1) {
            plain.matmul(w, g1 * rowBytes, (int) (end - g1), x, xOffset, tokens, out, outOffset + 4L * (g1 - firstRow),
                    outStride, n);
        }
    }

    /** One group's results for one token into {@code out} from byte {@code offset}. */
    static void store(FloatVector v, float[] results, MemorySegment out, long offset) {
        if (out.isNative()) {
            v.intoMemorySegment(out, offset, Simd.LE);
            return;
        }
        v.intoArray(results, 0); // the Vector API writes no heap segment but a byte[] one
        for (int l = 0; l < results.length; l++) {
            out.set(Simd.FLOAT_LE, offset + 4L * l, results[l]);
        }
    }
}
