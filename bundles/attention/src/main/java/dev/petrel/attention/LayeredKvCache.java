package dev.petrel.attention;

import dev.petrel.api.attention.KvCache;
import dev.petrel.api.kernel.BufferUsage;
import dev.petrel.api.kernel.ComputeStream;
import dev.petrel.api.kernel.KernelBackend;
import dev.petrel.api.kernel.Tensor;
import dev.petrel.api.weights.TensorType;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A KV cache as one keys tensor and one values tensor per layer, positions outermost
 * ({@code {rowLength, heads, ctx}}), so the positions of a batch are one slice. A layout whose
 * keys and values are the same tensor (MLA's latent cache) holds it once.
 */
public final class LayeredKvCache implements KvCache {

    private final KernelBackend backend;
    private final TensorType type;
    private final int contextLength;
    private final List<Layer> layers;
    private final long mhaEquivalentElements;
    private boolean closed;

    private LayeredKvCache(KernelBackend backend, TensorType type, int contextLength, List<Layer> layers,
            long mhaEquivalentElements) {
        this.backend = backend;
        this.type = type;
        this.contextLength = contextLength;
        this.layers = List.copyOf(layers);
        this.mhaEquivalentElements = mhaEquivalentElements;
    }

    /**
     * Allocates zeroed tensors on {@code backend}.
     *
     * @param keyRow dims of one position's keys, {@code {dk, Hkv}}
     * @param valueRow dims of one position's values, or null when values share the keys tensor
     * @param mhaEquivalentElements elements per token over all layers that MHA would cache
     */
    public static LayeredKvCache allocate(KernelBackend backend, TensorType type, int layerCount, int contextLength,
            long[] keyRow, long[] valueRow, long mhaEquivalentElements) {
        Objects.requireNonNull(backend, "backend");
        if (type != TensorType.F32 && type != TensorType.F16 && type != TensorType.BF16) {
            throw new IllegalArgumentException("KV cache type must be F32, F16 or BF16: " + type);
        }
        if (layerCount < 1 || contextLength < 1) {
            throw new IllegalArgumentException("KV cache of " + layerCount + " layers and " + contextLength + " positions");
        }
        List<Layer> layers = new ArrayList<>(layerCount);
        try {
            for (int i = 0; i < layerCount; i++) {
                Tensor keys = backend.allocate("cache_k." + i, BufferUsage.CACHE, type,
                        keyRow[0], keyRow[1], contextLength);
                Tensor values = keys;
                if (valueRow != null) {
                    try {
                        values = backend.allocate("cache_v." + i, BufferUsage.CACHE, type,
                                valueRow[0], valueRow[1], contextLength);
                    } catch (RuntimeException e) {
                        keys.close();
                        throw e;
                    }
                }
                layers.add(new Layer(keys, values));
            }
        } catch (RuntimeException e) {
            closeAll(layers);
            throw e;
        }
        return new LayeredKvCache(backend, type, contextLength, layers, mhaEquivalentElements);
    }

    @Override
    public KernelBackend backend() {
        return backend;
    }

    @Override
    public TensorType type() {
        return type;
    }

    @Override
    public int layerCount() {
        return layers.size();
    }

    @Override
    public int contextLength() {
        return contextLength;
    }

    @Override
    public Layer layer(int index) {
        return layers.get(index);
    }

    @Override
    public long bytesPerToken() {
        long bytes = 0;
        for (Layer layer : layers) {
            bytes += positionBytes(layer.keys());
            if (layer.values() != layer.keys()) {
                bytes += positionBytes(layer.values());
            }
        }
        return bytes;
    }

    @Override
    public long mhaEquivalentBytesPerToken() {
        return type.rowBytes(mhaEquivalentElements);
    }

    @Override
    public KvCache transferTo(KernelBackend target, int length) {
        if (length < 0 || length > contextLength) {
            throw new IndexOutOfBoundsException("transfer of " + length + " positions from a cache of " + contextLength);
        }
        Layer first = layers.getFirst();
        long[] keyRow = {first.keys().dim(0), first.keys().dim(1)};
        long[] valueRow = first.values() == first.keys() ? null : new long[] {first.values().dim(0), first.values().dim(1)};
        LayeredKvCache copy = allocate(target, type, layers.size(), contextLength, keyRow, valueRow, mhaEquivalentElements);
        if (length == 0) {
            return copy;
        }
        try (ComputeStream stream = target.openStream()) {
            for (int i = 0; i < layers.size(); i++) {
                Layer from = layers.get(i);
                Layer to = copy.layer(i);
                copyPositions(stream, target, from.keys(), to.keys(), length);
                if (from.values() != from.keys()) {
                    copyPositions(stream, target, from.values(), to.values(), length);
                }
            }
        } catch (RuntimeException e) {
            copy.close();
            throw e;
        }
        return copy;
    }

    /** Only the filled positions travel; the rest of the new cache stays zero. */
    private static void copyPositions(ComputeStream stream, KernelBackend target, Tensor from, Tensor to, int length) {
        try (Tensor moved = target.transfer(from.slice(0, length))) {
            stream.copy(moved, to.slice(0, length));
            stream.sync();   // the copy must be done before the temporary closes

        }
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            closeAll(layers);
        }
    }

    private static long positionBytes(Tensor t) {
        return t.type().rowBytes(t.dim(0)) * t.dim(1);
    }

    private static void closeAll(List<Layer> layers) {
        for (Layer layer : layers) {
            if (layer.values() != layer.keys()) {
                layer.values().close();
            }
            layer.keys().close();
        }
    }
}
