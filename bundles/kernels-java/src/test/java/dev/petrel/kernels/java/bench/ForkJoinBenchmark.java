package dev.petrel.kernels.java.bench;

import dev.petrel.kernels.java.vector.WorkerPool;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The cost of one fork-join on the worker pool, not a test: a decode step runs hundreds of
 * small ops, each split across the threads, so this overhead is paid per op. Compared with the
 * same chunks run on the caller alone.
 */
public final class ForkJoinBenchmark {

    private ForkJoinBenchmark() {
    }

    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : Runtime.getRuntime().availableProcessors();
        AtomicLong sink = new AtomicLong();
        try (WorkerPool pool = new WorkerPool("fork-join-benchmark", threads); WorkerPool alone = new WorkerPool("alone", 1)) {
            for (int round = 0; round < 3; round++) {
                double shared = perOp(pool, sink);
                double inline = perOp(alone, sink);
                System.out.printf(Locale.ROOT, "%d threads: %.2f us per op of %d tiny chunks; on the caller alone %.2f us%n",
                        threads, shared, threads * 4, inline);
            }
        }
    }

    private static double perOp(WorkerPool pool, AtomicLong sink) {
        int ops = 100_000;
        int chunks = pool.threads() == 1 ? 8 : pool.threads() * 4;
        long start = System.nanoTime();
        for (int i = 0; i < ops; i++) {
            pool.run(chunks, (c, p) -> sink.addAndGet(c));
        }
        return (System.nanoTime() - start) / 1000.0 / ops;
    }
}
