package dev.petrel.quant.bench;

import dev.petrel.api.weights.TensorType;
import dev.petrel.quant.kernel.QuantKernel;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.Random;
import java.util.function.LongConsumer;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Single-threaded throughput of the fused dot kernels, in GB/s of weight bytes streamed: a
 * 4096 x 4096 matrix times one activation row (decode), vector kernel against the scalar
 * reference, with the matrix either cache-resident (mapped from a file, as weights are) or one
 * of enough copies to stream from DRAM; then the batched form (prompt processing) on the DRAM
 * set: one matmul over T activation rows, in tokens per second, against one token at a time.
 * The peer is a plain vector sum over the same DRAM-sized set, the read bandwidth one thread
 * gets. Not a test: run it by hand.
 *
 * <pre>java --add-modules jdk.incubator.vector -cp ... dev.petrel.quant.bench.DotBenchmark [n] [dramMiB] [seconds]</pre>
 */
public final class DotBenchmark {

    private static final TensorType[] TYPES = {TensorType.F32, TensorType.F16, TensorType.BF16, TensorType.Q8_0,
            TensorType.Q4_0};
    private static final int BATCH = 16;
    private static final VectorSpecies<Long> LONGS = LongVector.SPECIES_PREFERRED;

    private DotBenchmark() {
    }

    public static void main(String[] args) throws IOException {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 4096;
        long dramBytes = (args.length > 1 ? Long.parseLong(args[1]) : 1024) << 20;
        double seconds = args.length > 2 ? Double.parseDouble(args[2]) : 1.0;
        System.out.printf(Locale.ROOT, "%d x %d matrix, one thread, %s, DRAM set %d MiB, %.1f s per figure%n", n, n,
                LONGS, dramBytes >> 20, seconds);

        double peer = readBandwidth(dramBytes, seconds);
        System.out.printf(Locale.ROOT, "peer: plain vector read of %d MiB: %.1f GB/s%n%n", dramBytes >> 20, peer);

        System.out.println("| type | bytes/weight | vector, cached GB/s | vector, DRAM GB/s | DRAM / peer"
                + " | scalar ref, cached GB/s | vector / scalar | DRAM, batched T=" + BATCH + " tok/s"
                + " | DRAM, one token at a time tok/s | batch speedup |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|");
        for (TensorType type : TYPES) {
            row(type, n, dramBytes, seconds, peer);
        }
    }

    private static void row(TensorType type, int n, long dramBytes, double seconds, double peer) throws IOException {
        QuantKernel vector = QuantKernel.vector(type);
        QuantKernel scalar = QuantKernel.scalar(type);
        long rowBytes = vector.rowBytes(n);
        long matrixBytes = rowBytes * n;
        int copies = (int) Math.max(1, Math.ceilDiv(dramBytes, matrixBytes));
        Random random = new Random(type.ordinal());
        Path file = Files.createTempFile("petrel-dot-benchmark", "." + type);
        try (Arena arena = Arena.ofConfined(); FileChannel channel = FileChannel.open(file, StandardOpenOption.READ,
                StandardOpenOption.WRITE, StandardOpenOption.DELETE_ON_CLOSE)) {
            MemorySegment set = arena.allocate(matrixBytes * copies, 64);
            float[] row = new float[n];
            for (int r = 0; r < n; r++) {
                for (int i = 0; i < n; i++) {
                    row[i] = (float) (random.nextGaussian() / Math.sqrt(n));
                }
                vector.quantize(row, 0, set, r * rowBytes, n);
            }
            for (int c = 1; c < copies; c++) {
                MemorySegment.copy(set, 0, set, c * matrixBytes, matrixBytes);
            }
            // the cache-resident matrix is mapped from a file, as model weights are
            channel.write(set.asSlice(0, matrixBytes).asByteBuffer());
            MemorySegment mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, matrixBytes, arena);
            long xBytes = vector.activationBytes(n);
            MemorySegment x = arena.allocate(xBytes * BATCH, 64);
            for (int t = 0; t < BATCH; t++) {
                for (int i = 0; i < n; i++) {
                    row[i] = (float) random.nextGaussian();
                }
                vector.quantizeActivations(row, 0, x, t * xBytes, n);
            }
            float[] out = new float[n * BATCH];
            // the Vector API is slow until C2 compiles it: warm both kernels up on a few rows first
            int few = 64;
            rate(seconds, i -> vector.matmul(mapped, 0, few, x, 0, 1 + (int) (i % BATCH), out, 0, n, n));
            rate(seconds, i -> scalar.matmul(mapped, 0, few / 8, x, 0, 1, out, 0, n, n));

            double cached = rate(seconds, i -> vector.matmul(mapped, 0, n, x, 0, 1, out, 0, n, n)) * matrixBytes;
            double dram = rate(seconds, i -> vector.matmul(set, (i % copies) * matrixBytes, n, x, 0, 1, out, 0, n, n))
                    * matrixBytes;
            double reference = rate(seconds, i -> scalar.matmul(mapped, 0, n, x, 0, 1, out, 0, n, n)) * matrixBytes;
            double batched = rate(seconds,
                    i -> vector.matmul(set, (i % copies) * matrixBytes, n, x, 0, BATCH, out, 0, n, n)) * BATCH;
            double single = dram / matrixBytes;
            System.out.printf(Locale.ROOT, "| %s | %.4f | %.1f | %.1f | %.0f%% | %.2f | %.0fx | %.1f | %.1f | %.1fx |%n",
                    type, (double) rowBytes / n, cached / 1e9, dram / 1e9, 100 * dram / 1e9 / peer, reference / 1e9,
                    cached / reference, batched, single, batched / single);
        }
    }

    /**
     * Calls per second of {@code work} (given the call number): the best of several windows,
     * since other processes share the cores.
     */
    private static double rate(double seconds, LongConsumer work) {
        long budget = (long) (seconds * 1e9);
        long window = Math.max(budget / 8, 1);
        double best = 0;
        long calls = 0;
        long start = System.nanoTime();
        while (System.nanoTime() - start < budget || best == 0) {
            long windowStart = System.nanoTime();
            long windowCalls = 0;
            long elapsed;
            do {
                work.accept(calls++);
                windowCalls++;
                elapsed = System.nanoTime() - windowStart;
            } while (elapsed < window);
            best = Math.max(best, windowCalls / (elapsed / 1e9));
        }
        return best;
    }

    /** GB/s of one thread summing a buffer of {@code bytes} with vector loads: the read bandwidth to match. */
    private static double readBandwidth(long bytes, double seconds) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(bytes, 64);
            s.fill((byte) 1);
            long[] sink = new long[1];
            rate(seconds, i -> sink[0] += sum(s, 1 << 16));
            double perSecond = rate(seconds * 4, i -> sink[0] += sum(s, bytes));
            if (sink[0] == 42) {
                System.out.println(s.get(ValueLayout.JAVA_BYTE, 0));
            }
            return perSecond * bytes / 1e9;
        }
    }

    private static long sum(MemorySegment s, long bytes) {
        long step = LONGS.vectorByteSize();
        LongVector acc = LongVector.zero(LONGS);
        for (long o = 0; o + step <= bytes; o += step) {
            acc = acc.add(LongVector.fromMemorySegment(LONGS, s, o, ByteOrder.LITTLE_ENDIAN));
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }
}
