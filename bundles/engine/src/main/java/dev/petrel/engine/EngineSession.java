package dev.petrel.engine;

import dev.petrel.api.PetrelException;
import dev.petrel.api.attention.KvCache;
import dev.petrel.api.engine.ForwardPass;
import dev.petrel.api.engine.GenerationRequest;
import dev.petrel.api.engine.GenerationResult;
import dev.petrel.api.engine.GenerationResult.StopReason;
import dev.petrel.api.engine.GenerationResult.Timings;
import dev.petrel.api.engine.Model;
import dev.petrel.api.engine.Sampler;
import dev.petrel.api.engine.Session;
import dev.petrel.api.engine.TokenListener;
import dev.petrel.api.kernel.BackendUnavailableException;
import dev.petrel.api.kernel.ComputeStream;
import dev.petrel.api.kernel.KernelBackend;
import dev.petrel.api.kernel.Lease;
import dev.petrel.api.kernel.Tensor;
import dev.petrel.api.weights.TensorType;
import dev.petrel.engine.sampling.ChainSampler;
import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One sequence: its ids, and a KV cache and a stream on the backend of its model's placement.
 * The sequence may run ahead of the cache: ids appended but not yet processed (the last
 * generated token) go through the model with the next batch. Between steps the session
 * follows its model to another backend, taking the filled part of its cache along.
 *
 * <p>A request ({@code generate}, {@code process}) holds a lease on the backend it runs on
 * from its first step to its end, moving the lease along when it follows the model: a
 * departing backend keeps the cache until the session has taken it to the new one at its
 * next token boundary.
 */
final class EngineSession implements Session {

    private static final System.Logger LOG = System.getLogger(EngineSession.class.getName());
    /** How long a step waits for the engine to move the model off a backend that refuses leases. */
    static final long MOVE_WAIT_MS = 30_000;

    private final LoadedModel model;
    private final ReentrantLock lock = new ReentrantLock();
    private Placement placement;
    private ComputeStream stream;
    private KvCache cache;
    private int[] tokens = new int[64];
    private int size;     // ids in the sequence
    private int cached;   // ids [0, cached) are in the cache
    private Lease lease;  // held while a request runs, on placement's backend
    private boolean closed;
    private volatile boolean closing;
    private volatile long moveNanos;   // time spent following the model, for the swap benchmark
    private volatile int moves;
    private volatile int lostCaches;   // moves that found the old backend's memory gone

    /**
     * Opens the session on the model's current placement. A backend that is leaving refuses
     * the cache; the session then waits (bounded, as a step does) for the engine to move the
     * model and opens on the next placement.
     */
    EngineSession(LoadedModel model) {
        this.model = model;
        long deadline = System.nanoTime() + MOVE_WAIT_MS * 1_000_000;
        while (true) {
            Placement p = joinCurrent();
            try {
                this.cache = p.pass().createCache(model.contextLength(), model.cacheType());
                this.stream = p.backend().openStream();
                this.placement = p;
                return;
            } catch (RuntimeException e) {
                if (cache != null) {
                    cache.close();
                    cache = null;
                }
                p.leave();
                if (!(e instanceof BackendUnavailableException unavailable)) {
                    throw e;
                }
                pause(deadline, unavailable);
            }
        }
    }

    @Override
    public Model model() {
        return model;
    }

    @Override
    public int position() {
        lock.lock();
        try {
            return size;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int contextLength() {
        return model.contextLength();
    }

    @Override
    public int[] tokens() {
        lock.lock();
        try {
            return Arrays.copyOf(tokens, size);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public float[] process(int[] ids) {
        float[][] logits = run(ids, false);
        return logits[0];
    }

    @Override
    public float[][] processAll(int[] ids) {
        return run(ids, true);
    }

    private float[][] run(int[] ids, boolean everyToken) {
        if (ids.length == 0) {
            throw new IllegalArgumentException("no ids to process");
        }
        lock.lock();
        try {
            checkOpen();
            int before = size;
            append(ids);
            try {
                float[][] all = evaluate(everyToken);
                // logits of earlier pending ids are not the caller's
                return everyToken ? Arrays.copyOfRange(all, all.length - ids.length, all.length) : all;
            } catch (RuntimeException e) {
                size = before;
                cached = Math.min(cached, before);
                throw e;
            }
        } finally {
            try {
                endRequest();
            } finally {
                lock.unlock();
            }
        }
    }

    @Override
    public GenerationResult generate(GenerationRequest request, TokenListener listener) {
        int[] prompt = request.promptIds();
        lock.lock();
        try {
            checkOpen();
            if (prompt.length == 0 && size == 0) {
                throw new IllegalArgumentException("nothing to generate from: the prompt is empty and so is the session");
            }
            append(prompt);
            if (cached == size) {
                cached--;   // the last id runs again to give the logits to start from
            }
            Sampler sampler = new ChainSampler(request.sampling());
            TextStream text = new TextStream(model.tokenizer(), request.stopStrings());
            int promptTokens = size - cached;
            long start = System.nanoTime();
            float[] logits = evaluate(false)[0];
            long promptEnd = System.nanoTime();

            int[] generated = new int[16];
            int count = 0;
            StopReason reason = limit(request, count);
            while (reason == null) {
                if (cached < size) {
                    logits = evaluate(false)[0];
                }
                int id = sampler.sample(logits, Arrays.copyOf(tokens, size));
                append(new int[] {id});
                if (count == generated.length) {
                    generated = Arrays.copyOf(generated, 2 * count);
                }
                generated[count++] = id;

                boolean end = !request.ignoreEndOfGeneration() && model.tokenizer().isEndOfGeneration(id);
                String piece = text.append(id);
                if (text.stopped()) {
                    reason = StopReason.STOP_STRING;
                } else if (end) {
                    reason = StopReason.END_OF_GENERATION;
                } else {
                    reason = limit(request, count);
                }
                if (reason != null && reason != StopReason.STOP_STRING) {
                    piece += text.flush();
                }
                boolean go = listener.onToken(id, piece);
                if (reason == null && (!go || closing || Thread.currentThread().isInterrupted())) {
                    reason = StopReason.CANCELLED;
                }
            }
            long end = System.nanoTime();
            return new GenerationResult(prompt, Arrays.copyOf(generated, count), text.text(), reason,
                    new Timings(promptTokens, promptEnd - start, count, end - promptEnd));
        } finally {
            try {
                endRequest();
            } finally {
                lock.unlock();
            }
        }
    }

    private StopReason limit(GenerationRequest request, int generated) {
        if (request.maxTokens() >= 0 && generated >= request.maxTokens()) {
            return StopReason.MAX_TOKENS;
        }
        if (size >= model.contextLength()) {
            return StopReason.CONTEXT_FULL;
        }
        return null;
    }

    @Override
    public void truncate(int position) {
        lock.lock();
        try {
            if (position < 0 || position > size) {
                throw new IndexOutOfBoundsException("truncate to " + position + " of a sequence of " + size);
            }
            size = position;
            cached = Math.min(cached, position);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        closing = true;   // a generation in flight stops at its next token
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            try {
                closeQuietly(stream);
                closeQuietly(cache);
            } finally {
                placement.leave();
                model.forget(this);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Moves to the model's current placement now, unless a request is running (it moves at its
     * next token boundary). The move runs under a lease on the old backend, so that its
     * memory stays until the cache is copied.
     */
    void followIfIdle() {
        if (lock.tryLock()) {
            try {
                if (!closed && model.placement() != placement) {
                    try {
                        lease = placement.backend().acquire();
                    } catch (BackendUnavailableException e) {
                        // already draining: follow() starts an empty cache if the memory is gone
                    }
                    try {
                        follow();
                    } finally {
                        endRequest();
                    }
                }
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, () -> model.location() + ": a session could not move to '"
                        + model.backend() + "' yet; it tries again at its next step: " + e.getMessage(), e);
            } finally {
                lock.unlock();
            }
        }
    }

    /** Nanoseconds spent moving caches and streams to other backends, and how many moves. */
    long moveNanos() {
        return moveNanos;
    }

    int moves() {
        return moves;
    }

    /** Moves that had to start an empty cache (the next step recomputed the sequence). */
    int lostCaches() {
        return lostCaches;
    }

    // ---- steps ----------------------------------------------------------------------------

    /** Appends ids after checking them; nothing changes when one is wrong. */
    private void append(int[] ids) {
        int vocab = model.vocabularySize();
        for (int id : ids) {
            if (id < 0 || id >= vocab) {
                throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + vocab + ")");
            }
        }
        if ((long) size + ids.length > model.contextLength()) {
            throw new PetrelException(model.location() + ": " + ids.length + " tokens do not fit the context: "
                    + size + " of " + model.contextLength() + " positions are taken, "
                    + (model.contextLength() - size) + " are left");
        }
        if (size + ids.length > tokens.length) {
            tokens = Arrays.copyOf(tokens, Math.max(size + ids.length, 2 * tokens.length));
        }
        System.arraycopy(ids, 0, tokens, size, ids.length);
        size += ids.length;
    }

    /**
     * Runs the ids not yet in the cache through the model, in batches of at most the model's
     * batch limit, under the request's lease on the backend. A backend whose bounded wait for
     * its leases ran out (a step slower than that wait) frees its memory under the step: the
     * cache is lost with it, so the session follows the model and runs the sequence again,
     * bounded by the same wait as a move.
     *
     * @return the logits of the last id ({@code everyToken} false), or of every id not yet
     *         cached when called
     */
    private float[][] evaluate(boolean everyToken) {
        int wanted = everyToken ? size - cached : 1;
        float[][] result = new float[wanted][];   // rows survive a retry that kept the cache
        long deadline = System.nanoTime() + MOVE_WAIT_MS * 1_000_000;
        while (true) {
            try {
                evaluateOnce(everyToken, result);
                return result;
            } catch (BackendUnavailableException e) {
                if (System.nanoTime() > deadline) {
                    throw new PetrelException(model.location() + ": kernel backend '" + placement.backend().name()
                            + "' went away during a step and no other backend took over within " + MOVE_WAIT_MS
                            + " ms: " + e.getMessage(), e);
                }
                endRequest();   // the lease on the departed backend
                pause(deadline, e);
            }
        }
    }

    private void evaluateOnce(boolean everyToken, float[][] result) {
        int vocab = model.vocabularySize();
        // the token boundary: follow the model if it moved, then hold its backend
        holdCurrent();
        int firstWanted = size - result.length;   // position of the first row asked for
        ForwardPass pass = placement.pass();
        while (cached < size) {
            int count = Math.min(model.batchLimit(), size - cached);
            stream.resetScratch();
            Tensor logits = stream.scratch("logits", TensorType.F32, vocab, everyToken ? count : 1);
            int first = cached;
            pass.forward(stream, cache, Arrays.copyOfRange(tokens, first, first + count), first, logits);
            if (everyToken) {
                float[] all = stream.readFloats(logits);
                for (int t = 0; t < count; t++) {
                    if (first + t >= firstWanted) {   // a lost cache recomputes earlier positions too
                        result[first + t - firstWanted] = Arrays.copyOfRange(all, t * vocab, (t + 1) * vocab);
                    }
                }
            } else if (first + count == size) {
                result[0] = stream.readFloats(logits);
            }
            cached = first + count;   // only once its logits are read: a retry redoes the batch
        }
    }

    /**
     * Follows the model to its current placement and holds a lease on that backend. The old
     * lease is closed only after the cache has moved. A backend that refuses leases is
     * leaving: the engine moves the model off it, and the session waits (bounded) for that.
     */
    private void holdCurrent() {
        long deadline = System.nanoTime() + MOVE_WAIT_MS * 1_000_000;
        while (true) {
            if (lease == null || lease.backend() != placement.backend()) {
                try {
                    // the cache's backend keeps it until it has moved
                    Lease onCache = placement.backend().acquire();
                    endRequest();
                    lease = onCache;
                } catch (BackendUnavailableException e) {
                    // draining: follow() copies the cache while it lasts, else starts an empty one
                }
            }
            try {
                follow();
            } catch (BackendUnavailableException e) {
                // the placement we were moving to is already leaving too: wait for the next one
                pause(deadline, e);
                continue;
            }
            KernelBackend current = placement.backend();
            if (lease != null && lease.backend() == current) {
                return;
            }
            try {
                Lease next = current.acquire();
                endRequest();
                lease = next;
                return;
            } catch (BackendUnavailableException e) {
                // The cache has left the old backend: holding it would only stall its drain.
                endRequest();
                pause(deadline, e);
            }
        }
    }

    /** Waits a moment for the engine to move the model, or gives up at the deadline. */
    private void pause(long deadline, BackendUnavailableException cause) {
        if (System.nanoTime() > deadline) {
            throw new BackendUnavailableException("kernel backend '" + model.backend() + "' is leaving and no other "
                    + "backend took over the model within " + MOVE_WAIT_MS + " ms: " + cause.getMessage());
        }
        try {
            Thread.sleep(1);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new PetrelException(model.location() + ": interrupted while waiting for a kernel backend");
        }
    }

    /** Ends the request: its lease goes. */
    private void endRequest() {
        Lease held = lease;
        lease = null;
        if (held != null) {
            held.close();
        }
    }

    /**
     * Moves stream and the filled part of the cache to the model's current placement. When the
     * old backend is already gone, the cache starts empty there and the next step runs the
     * whole sequence again.
     */
    private void follow() {
        Placement target = model.placement();
        if (target == placement) {
            return;
        }
        if (!target.join()) {
            target = joinCurrent();
        }
        long start = System.nanoTime();
        KernelBackend to = target.backend();
        KvCache movedCache = null;
        ComputeStream movedStream = null;
        int kept = cached;
        try {
            try {
                stream.sync();
                movedCache = cache.transferTo(to, cached);
            } catch (BackendUnavailableException gone) {
                movedCache = target.pass().createCache(model.contextLength(), model.cacheType());
                kept = 0;
                lostCaches++;
            }
            movedStream = to.openStream();
        } catch (RuntimeException e) {
            if (movedCache != null) {
                movedCache.close();
            }
            target.leave();
            throw e;
        }
        ComputeStream oldStream = stream;
        KvCache oldCache = cache;
        Placement old = placement;
        stream = movedStream;
        cache = movedCache;
        placement = target;
        cached = kept;
        try {
            closeQuietly(oldStream);
            closeQuietly(oldCache);
        } finally {
            old.leave();
        }
        long took = System.nanoTime() - start;
        moveNanos += took;
        moves++;
        int positions = kept;
        LOG.log(System.Logger.Level.DEBUG, () -> model.location() + ": a session moved " + positions
                + " cached positions from '" + old.backend().name() + "' to '" + to.name() + "' in "
                + String.format("%.2f", took / 1e6) + " ms");
    }

    /** Closing on a backend that has gone fails; its memory is freed already. */
    private static void closeQuietly(AutoCloseable resource) {
        try {
            resource.close();
        } catch (Exception e) {
            // nothing left to free
        }
    }

    private Placement joinCurrent() {
        while (true) {
            Placement p = model.placement();
            if (p.join()) {
                return p;
            }
            Thread.onSpinWait();
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new PetrelException(model.location() + ": the session is closed");
        }
    }
}
