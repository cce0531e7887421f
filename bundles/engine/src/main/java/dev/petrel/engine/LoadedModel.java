package dev.petrel.engine;

import dev.petrel.api.PetrelException;
import dev.petrel.api.attention.AttentionConfig;
import dev.petrel.api.engine.Model;
import dev.petrel.api.engine.ModelConfig;
import dev.petrel.api.engine.Session;
import dev.petrel.api.kernel.KernelBackend;
import dev.petrel.api.tokenizer.Tokenizer;
import dev.petrel.api.weights.TensorType;
import dev.petrel.api.weights.WeightSource;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** A model the engine loaded: its forward pass on the current backend, its tokenizer, its sessions. */
final class LoadedModel implements Model {

    /** Scratch memory a session's step may take, in bytes. */
    static final long SCRATCH_BUDGET = 256L << 20;
    /** Fewest and most tokens per forward call: small batches waste the matrix products. */
    static final int MIN_BATCH = 32;
    static final int MAX_BATCH = 512;

    private final WeightSource source;
    private final boolean ownsSource;
    private final ModelConfig config;
    private final Tokenizer tokenizer;
    private final int contextLength;
    private final TensorType cacheType;
    private final Set<EngineSession> sessions = ConcurrentHashMap.newKeySet();
    private final Runnable onClose;
    private volatile Placement placement;
    private volatile boolean closed;
    private volatile int batchLimit;

    LoadedModel(WeightSource source, boolean ownsSource, ModelConfig config, Tokenizer tokenizer, int contextLength,
            TensorType cacheType, Placement placement, Runnable onClose) {
        this.source = source;
        this.ownsSource = ownsSource;
        this.config = config;
        this.tokenizer = tokenizer;
        this.contextLength = contextLength;
        this.cacheType = cacheType;
        this.placement = placement;
        this.onClose = onClose;
        this.batchLimit = batchLimit(config);
        placement.join();   // the model's own claim, given up when it moves or closes
    }

    @Override
    public String location() {
        return source.location();
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    @Override
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    @Override
    public int contextLength() {
        return contextLength;
    }

    TensorType cacheType() {
        return cacheType;
    }

    /** Most tokens one forward call takes. */
    int batchLimit() {
        return batchLimit;
    }

    /** For tests: smaller batches, to run a prompt through several calls. */
    void batchLimit(int tokens) {
        batchLimit = tokens;
    }

    /**
     * Tokens per forward call such that the step's temporaries stay within
     * {@link #SCRATCH_BUDGET}: a stream's scratch memory is recycled once per step, so every
     * layer's activations of the batch count.
     */
    static int batchLimit(ModelConfig c) {
        AttentionConfig a = c.attention();
        long perLayer = (long) (a.headCount() + a.kvHeadCount()) * (a.keyLength() + a.valueLength())
                + 2L * c.feedForwardLength() + 2L * c.embeddingLength();
        long perToken = Float.BYTES * (c.blockCount() * perLayer + 3L * c.embeddingLength() + c.vocabularySize());
        return (int) Math.clamp(SCRATCH_BUDGET / perToken, MIN_BATCH, MAX_BATCH);
    }

    @Override
    public String backend() {
        return placement.backend().name();
    }

    @Override
    public long weightBytes() {
        return placement.pass().weightBytes();
    }

    @Override
    public long activeWeightBytesPerToken() {
        return placement.pass().activeWeightBytesPerToken();
    }

    @Override
    public Session openSession() {
        if (closed) {
            throw new PetrelException(location() + ": the model is closed");
        }
        EngineSession session = new EngineSession(this);
        sessions.add(session);
        return session;
    }

    /** The placement sessions should be on now. */
    Placement placement() {
        return placement;
    }

    /**
     * Places the weights on {@code target} (uploaded again from the source) for sessions to
     * follow at their next token boundary.
     */
    synchronized void moveTo(KernelBackend target) {
        Placement current = placement;
        if (closed || current.backend() == target) {
            return;
        }
        Placement next = new Placement(current.pass().moveTo(target));
        next.join();
        placement = next;
        current.leave();
        current.retire();
    }

    /** Moves the caches of sessions that are between steps; busy ones move when their step ends. */
    void moveIdleSessions() {
        for (EngineSession s : sessions) {
            s.followIfIdle();
        }
    }

    void forget(EngineSession session) {
        sessions.remove(session);
    }

    List<EngineSession> sessions() {
        return List.copyOf(sessions);
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        for (EngineSession s : List.copyOf(sessions)) {
            s.close();
        }
        Placement last = placement;
        last.leave();
        last.retire();
        if (ownsSource) {
            source.close();
        }
        onClose.run();
    }
}
