package dev.petrel.kernels.java.vector;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed pool of platform threads for the many small fork-joins of a forward pass (hundreds
 * of ops per token). The calling thread takes part, so {@code threads} participants run an op:
 * the caller and {@code threads - 1} workers. Between ops the workers spin briefly (the next
 * op usually follows within microseconds) and then park; an op costs one small job object and
 * no thread hand-off when the workers are still spinning.
 *
 * <p>One op runs on the pool at a time. A second stream that arrives while it is busy runs its
 * op on its own thread instead of waiting: sessions never block each other.
 */
public final class WorkerPool implements AutoCloseable {

    /** A chunk of an op; chunks of one op run concurrently on distinct participants. */
    @FunctionalInterface
    public interface Chunk {
        /**
         * @param chunk which chunk, in {@code [0, chunks)}
         * @param participant who runs it, in {@code [0, threads)}: index of per-thread scratch
         */
        void run(int chunk, int participant);
    }

    private static final long SPIN_NANOS = TimeUnit.MICROSECONDS.toNanos(200);

    private final Worker[] workers;
    private final AtomicBoolean busy = new AtomicBoolean();
    private volatile Job current;
    private volatile boolean running = true;
    private long sequence;

    /** Starts {@code threads - 1} worker threads named after {@code name}. */
    public WorkerPool(String name, int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("a worker pool needs at least one thread, not " + threads);
        }
        workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(i + 1);
            Thread thread = Thread.ofPlatform().name(name + "-" + (i + 1)).daemon().unstarted(workers[i]);
            workers[i].thread = thread;
            thread.start();
        }
    }

    /** Participants of an op: the caller and the workers. */
    public int threads() {
        return workers.length + 1;
    }

    /** Runs {@code chunks} chunks and returns when all are done; rethrows the first failure. */
    public void run(int chunks, Chunk task) {
        if (chunks <= 0) {
            return;
        }
        if (chunks == 1 || workers.length == 0 || !running || !busy.compareAndSet(false, true)) {
            for (int c = 0; c < chunks; c++) {
                task.run(c, 0);
            }
            return;
        }
        try {
            Job job = new Job(++sequence, task, chunks);
            current = job;
            for (Worker worker : workers) {
                worker.wake();
            }
            job.work(0);
            job.awaitDone();
            current = null; // let the op's operands go
            job.rethrow();
        } finally {
            busy.set(false);
        }
    }

    /** Stops the workers and waits (bounded) for them to end. */
    @Override
    public void close() {
        running = false;
        for (Worker worker : workers) {
            LockSupport.unpark(worker.thread);
        }
        for (Worker worker : workers) {
            try {
                worker.thread.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** One op: its chunks are claimed by whoever comes first. */
    private static final class Job {
        final long sequence;
        final Chunk task;
        final int chunks;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        volatile Thread waiter;

        Job(long sequence, Chunk task, int chunks) {
            this.sequence = sequence;
            this.task = task;
            this.chunks = chunks;
        }

        void work(int participant) {
            int chunk;
            while ((chunk = next.getAndIncrement()) < chunks) {
                try {
                    task.run(chunk, participant);
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
                if (done.incrementAndGet() == chunks) {
                    Thread w = waiter;
                    if (w != null) {
                        LockSupport.unpark(w);
                    }
                }
            }
        }

        void awaitDone() {
            long start = System.nanoTime();
            while (done.get() < chunks) {
                if (System.nanoTime() - start < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    waiter = Thread.currentThread();
                    if (done.get() < chunks) {
                        LockSupport.park(this);
                    }
                }
            }
        }

        void rethrow() {
            Throwable t = failure.get();
            if (t instanceof RuntimeException e) {
                throw e;
            }
            if (t instanceof Error e) {
                throw e;
            }
            if (t != null) {
                throw new IllegalStateException(t);
            }
        }
    }

    private final class Worker implements Runnable {
        final int participant;
        Thread thread;
        volatile boolean parked;

        Worker(int participant) {
            this.participant = participant;
        }

        void wake() {
            if (parked) {
                LockSupport.unpark(thread);
            }
        }

        @Override
        public void run() {
            long seen = 0;
            long idleSince = System.nanoTime();
            while (running) {
                Job job = current;
                if (job != null && job.sequence != seen) {
                    seen = job.sequence;
                    job.work(participant);
                    idleSince = System.nanoTime();
                } else if (System.nanoTime() - idleSince < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    parked = true;
                    Job latest = current;
                    if (running && (latest == null || latest.sequence == seen)) {
                        LockSupport.park(this);
                    }
                    parked = false;
                    idleSince = System.nanoTime();
                }
            }
        }
    }
}
