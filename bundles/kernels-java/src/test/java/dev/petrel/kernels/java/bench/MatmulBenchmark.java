package dev.petrel.kernels.java.bench;

import dev.petrel.api.kernel.BufferUsage;
import dev.petrel.api.kernel.ComputeStream;
import dev.petrel.api.kernel.KernelBackend;
import dev.petrel.api.kernel.Tensor;
import dev.petrel.api.weights.TensorType;
import dev.petrel.kernels.java.HostBackend;
import dev.petrel.kernels.java.ScalarKernelBackend;
import dev.petrel.kernels.java.VectorKernelBackend;
import dev.petrel.quant.kernel.QuantKernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Matmul throughput of the Java backends, not a test: decode (one token, memory-bound) in GB/s
 * of weights read per second for F32, F16, Q8_0 and Q4_0, on the Vector API backend with 1 and
 * N threads and on the scalar reference, next to the peer that bounds them all: a plain read of
 * the same bytes (the memory bandwidth) on as many threads. Prefill (64 tokens, compute-bound)
 * in GFLOP/s.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp ... MatmulBenchmark [threads] [MiB]}
 * (defaults: one thread per processor, 512 MiB of weights per type).
 */
public final class MatmulBenchmark {

    private static final int N_IN = 4096;
    private static final int PREFILL_TOKENS = 64;

    private MatmulBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : Runtime.getRuntime().availableProcessors();
        // Larger than the last-level cache by default, so decode reads from memory as it does with a model.
        long targetBytes = (args.length > 1 ? Long.parseLong(args[1]) : 512) << 20;
        System.out.printf(Locale.ROOT, "matmul %d inputs, weights of about %d MiB, %d threads, %s%n", N_IN,
                targetBytes >> 20, threads, jdk.incubator.vector.FloatVector.SPECIES_PREFERRED);
        System.out.printf(Locale.ROOT, "%-6s %9s | %10s %10s | %10s %10s | %10s | %12s %12s%n", "type", "MiB",
                "read 1t", "read Nt", "vector 1t", "vector Nt", "scalar", "pp64 vec 1t", "pp64 vec Nt");
        System.out.printf(Locale.ROOT, "%-6s %9s | %10s %10s | %10s %10s | %10s | %12s %12s%n", "", "", "GB/s",
                "GB/s", "GB/s", "GB/s", "GB/s", "GFLOP/s", "GFLOP/s");
        VectorKernelBackend one = VectorKernelBackend.standalone(1);
        VectorKernelBackend many = VectorKernelBackend.standalone(threads);
        ScalarKernelBackend scalar = ScalarKernelBackend.standalone();
        try {
            for (TensorType type : List.of(TensorType.F32, TensorType.F16, TensorType.Q8_0, TensorType.Q4_0)) {
                int rows = (int) Math.max(64, targetBytes / type.rowBytes(N_IN));
                try (Arena arena = Arena.ofShared()) {
                    MemorySegment weights = randomWeights(arena, type, rows);
                    warmUp(List.of(one, many, scalar), type, weights);
                    double mib = weights.byteSize() / (1024.0 * 1024.0);
                    double read1 = readBandwidth(weights, 1);
                    double readN = readBandwidth(weights, threads);
                    double vector1 = decode(one, type, rows, weights);
                    double vectorN = decode(many, type, rows, weights);
                    double reference = decode(scalar, type, rows, weights);
                    double prefill1 = prefill(one, type, rows, weights);
                    double prefillN = prefill(many, type, rows, weights);
                    System.out.printf(Locale.ROOT, "%-6s %9.1f | %10.2f %10.2f | %10.2f %10.2f | %10.3f | %12.1f %12.1f%n",
                            type, mib, read1, readN, vector1, vectorN, reference, prefill1, prefillN);
                }
            }
        } finally {
            one.shutdown(Duration.ZERO);
            many.shutdown(Duration.ZERO);
            scalar.shutdown(Duration.ZERO);
        }
    }

    /** Weights of N(0, 1/sqrt(n)) in {@code type}, written by the reference quantizer. */
    private static MemorySegment randomWeights(Arena arena, TensorType type, int rows) {
        long rowBytes = type.rowBytes(N_IN);
        MemorySegment data = arena.allocate(rowBytes * rows, 64);
        Random random = new Random(7);
        float[] row = new float[N_IN];
        QuantKernel codec = QuantKernel.scalar(type);
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < N_IN; i++) {
                row[i] = (float) (random.nextGaussian() / 64);
            }
            codec.quantize(row, 0, data, r * rowBytes, N_IN);
        }
        return data;
    }

    /**
     * Runs each kernel on a small slice until the JIT has compiled it: the Vector API is slow
     * until then, and a first call on the full matrix would measure the interpreter.
     */
    private static void warmUp(List<HostBackend> backends, TensorType type, MemorySegment weights) {
        int rows = 64;
        MemorySegment slice = weights.asSlice(0, type.rowBytes(N_IN) * rows);
        for (HostBackend backend : backends) {
            int repeats = backend instanceof ScalarKernelBackend ? 3 : 200;
            for (int i = 0; i < repeats; i++) {
                run(backend, type, rows, slice, 1, 1, 1);
                run(backend, type, rows, slice, 8, 1, 1);
            }
        }
    }

    /** GB/s of one matmul with a single token: weight bytes over the best of several runs. */
    private static double decode(HostBackend backend, TensorType type, int rows, MemorySegment weights) {
        return run(backend, type, rows, weights, 1, weights.byteSize(), 100);
    }

    /** GFLOP/s of a matmul with a batch of tokens. */
    private static double prefill(HostBackend backend, TensorType type, int rows, MemorySegment weights) {
        return run(backend, type, rows, weights, PREFILL_TOKENS, 2L * N_IN * rows * PREFILL_TOKENS, 10);
    }

    /** Work per nanosecond of the fastest of up to {@code maxRuns} runs (at least two, at most about a second). */
    private static double run(KernelBackend backend, TensorType type, int rows, MemorySegment weights, int tokens,
            long work, int maxRuns) {
        Tensor w = backend.uploadWeights("w", type, new long[] {N_IN, rows}, weights);
        Tensor x = backend.allocate("x", BufferUsage.COMPUTE, TensorType.F32, N_IN, tokens);
        Tensor out = backend.allocate("out", BufferUsage.COMPUTE, TensorType.F32, rows, tokens);
        try (ComputeStream stream = backend.openStream()) {
            float[] input = new float[N_IN * tokens];
            Random random = new Random(3);
            for (int i = 0; i < input.length; i++) {
                input[i] = (float) random.nextGaussian();
            }
            stream.write(MemorySegment.ofArray(input), x);
            long best = Long.MAX_VALUE;
            long deadline = System.nanoTime() + 1_000_000_000L;
            int runs = 0;
            while (runs < Math.min(2, maxRuns) || (System.nanoTime() < deadline && runs < maxRuns)) {
                long start = System.nanoTime();
                stream.matmul(w, x, out);
                best = Math.min(best, System.nanoTime() - start);
                runs++;
            }
            return work / (double) best;
        } finally {
            w.close();
            x.close();
            out.close();
        }
    }

    /** GB/s of reading {@code data} once, split across {@code threads}: the bandwidth a decode can reach. */
    private static double readBandwidth(MemorySegment data, int threads) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            long best = Long.MAX_VALUE;
            for (int run = 0; run < 10; run++) {
                long start = System.nanoTime();
                long slice = data.byteSize() / threads / 8 * 8;
                List<Future<Long>> parts = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    MemorySegment part = data.asSlice(t * slice, t == threads - 1 ? data.byteSize() - t * slice : slice);
                    Callable<Long> read = () -> sum(part);
                    parts.add(pool.submit(read));
                }
                long checksum = 0;
                for (Future<Long> part : parts) {
                    checksum += part.get();
                }
                best = Math.min(best, System.nanoTime() - start + (checksum == 42 ? 1 : 0));
            }
            return data.byteSize() / (double) best;
        } finally {
            pool.shutdown();
        }
    }

    /** Reads every byte with vector loads, four accumulators deep: as fast as this thread can stream. */
    private static long sum(MemorySegment part) {
        VectorSpecies<Integer> species = IntVector.SPECIES_PREFERRED;
        long step = species.vectorByteSize();
        IntVector a = IntVector.zero(species);
        IntVector b = a;
        IntVector c = a;
        IntVector d = a;
        long end = part.byteSize() - 4 * step;
        long offset = 0;
        for (; offset <= end; offset += 4 * step) {
            a = a.add(IntVector.fromMemorySegment(species, part, offset, ByteOrder.LITTLE_ENDIAN));
            b = b.add(IntVector.fromMemorySegment(species, part, offset + step, ByteOrder.LITTLE_ENDIAN));
            c = c.add(IntVector.fromMemorySegment(species, part, offset + 2 * step, ByteOrder.LITTLE_ENDIAN));
            d = d.add(IntVector.fromMemorySegment(species, part, offset + 3 * step, ByteOrder.LITTLE_ENDIAN));
        }
        long total = a.add(b).add(c).add(d).reduceLanesToLong(VectorOperators.ADD);
        for (; offset < part.byteSize(); offset++) {
            total += part.get(ValueLayout.JAVA_BYTE, offset);
        }
        return total;
    }
}
