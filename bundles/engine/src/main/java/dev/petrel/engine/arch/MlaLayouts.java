package dev.petrel.engine.arch;

import dev.petrel.api.ModelFormatException;
import dev.petrel.api.kernel.ComputeStream;
import dev.petrel.api.kernel.KernelBackend;
import dev.petrel.api.kernel.Op;
import dev.petrel.api.kernel.Tensor;
import dev.petrel.api.quant.BlockScales;
import dev.petrel.api.weights.TensorInfo;
import dev.petrel.api.weights.TensorType;
import dev.petrel.api.weights.WeightSource;
import dev.petrel.engine.arch.WeightPlacer.Shape;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Converts between the two GGUF layouts of MLA's up-projection at load, for a strategy that
 * reads the layout the file does not have. With {@code r = kv_lora_rank}:
 *
 * <ul>
 *   <li>{@code attn_kv_b {r, H * (dn + dv)}}: per head {@code dn} key rows then {@code dv}
 *       value rows, each of length {@code r} (what {@code mla-naive} reads);</li>
 *   <li>{@code attn_k_b {dn, r, H}}: per head the key rows transposed, and
 *       {@code attn_v_b {r, dv, H}}: per head the value rows as they are (what
 *       {@code mla-absorbed} reads).</li>
 * </ul>
 *
 * Value rows keep their type and bytes (they are whole rows in both layouts; block-scaled
 * ones get a scale per row, their 128-row blocks being broken up). Transposed and
 * joined tensors are F32: a quantized block cannot be transposed, and F32 holds the
 * dequantized values exactly. The file's tensors are dequantized with the backend's own
 * GET_ROWS, so the values are those the backend would compute with, and are not kept.
 */
final class MlaLayouts implements AutoCloseable {

    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** The split layout of one layer. */
    record Split(Tensor wkB, Tensor wvB) {
    }

    private final WeightSource source;
    private final KernelBackend backend;
    private final List<Tensor> placed = new ArrayList<>();
    private long bytes;

    MlaLayouts(WeightSource source, KernelBackend backend) {
        this.source = source;
        this.backend = backend;
    }

    /** {@code attn_k_b} and {@code attn_v_b} from the file's {@code attn_kv_b}. */
    Split split(String kvBName, Shape kvBShape, int heads, int r, int dn, int dv, String prefix) {
        TensorInfo kvB = checked(kvBName, kvBShape);
        float[] kv = dequantize(kvB);
        float[] kb = new float[dn * r * heads];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < dn; i++) {
                int row = h * (dn + dv) + i;
                for (int j = 0; j < r; j++) {
                    kb[i + dn * (j + r * h)] = kv[j + r * row];
                }
            }
        }
        Tensor wkB = upload(prefix + "attn_k_b (from attn_kv_b)", floats(kb), TensorType.F32, null, dn, r, heads);

        // Value rows move whole, in the file's type.
        long rowBytes = kvB.type().rowBytes(r);
        MemorySegment file = source.data(kvB);
        MemorySegment rows = Arena.ofAuto().allocate(rowBytes * dv * heads, 64);
        for (int h = 0; h < heads; h++) {
            long from = (long) (h * (dn + dv) + dn) * rowBytes;
            MemorySegment.copy(file, from, rows, (long) h * dv * rowBytes, dv * rowBytes);
        }
        BlockScales vScales = source.scales(kvB).map(sc -> rowScales(sc, heads, dn, dv, r)).orElse(null);
        Tensor wvB = upload(prefix + "attn_v_b (from attn_kv_b)", rows, kvB.type(), vScales, r, dv, heads);
        requireSupport(wkB, Op.MATMUL_HEADS);
        requireSupport(wvB, Op.MATMUL_HEADS);
        return new Split(wkB, wvB);
    }

    /** {@code attn_kv_b} (F32) from the file's {@code attn_k_b} and {@code attn_v_b}. */
    Tensor joined(String kBName, Shape kBShape, String vBName, Shape vBShape, int heads, int r, int dn, int dv,
            String name) {
        float[] kb = dequantize(checked(kBName, kBShape));
        float[] vb = dequantize(checked(vBName, vBShape));
        float[] kv = new float[r * heads * (dn + dv)];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < dn; i++) {
                int row = h * (dn + dv) + i;
                for (int j = 0; j < r; j++) {
                    kv[j + r * row] = kb[i + dn * (j + r * h)];
                }
            }
            for (int e = 0; e < dv; e++) {
                System.arraycopy(vb, r * (e + dv * h), kv, r * (h * (dn + dv) + dn + e), r);
            }
        }
        Tensor wkvB = upload(name, floats(kv), TensorType.F32, null, r, (long) heads * (dn + dv));
        requireSupport(wkvB, Op.MATMUL);
        return wkvB;
    }

    long bytes() {
        return bytes;
    }

    @Override
    public void close() {
        for (Tensor t : placed) {
            try {
                t.close();
            } catch (RuntimeException e) {
                // a backend that has gone freed its tensors already
            }
        }
        placed.clear();
    }

    private TensorInfo checked(String name, Shape shape) {
        TensorInfo info = source.requireTensor(name);
        long[] dims = info.dims();
        int rank = Math.max(dims.length, shape.dims().length);
        for (int i = 0; i < rank; i++) {
            long actual = i < dims.length ? dims[i] : 1;
            long expected = i < shape.dims().length ? shape.dims()[i] : 1;
            if (actual != expected) {
                throw new ModelFormatException(source.location(), name, "expected dims "
                        + Arrays.toString(shape.dims()) + " " + shape.names() + " from the metadata, found "
                        + Arrays.toString(dims));
            }
        }
        return info;
    }

    /** Every element of {@code info} as F32, by the backend's embedding lookup over all rows. */
    private float[] dequantize(TensorInfo info) {
        long length = info.dim(0);
        int rows = Math.toIntExact(info.elementCount() / length);
        if (!backend.supports(Op.GET_ROWS, info.type())) {
            throw new UnsupportedOperationException(source.location() + ": " + info.name() + ": type " + info.type()
                    + " cannot be read back by kernel backend '" + backend.name() + "' to convert the MLA layout");
        }
        // block-scaled weights (FP8) read back with their scales: the values the file means
        try (Tensor table = backend.uploadWeights(info.name(), info.type(), new long[] {length, rows}, source.data(info),
                source.scales(info).orElse(null));
                ComputeStream stream = backend.openStream()) {
            int[] all = new int[rows];
            Arrays.setAll(all, i -> i);
            Tensor ids = stream.scratch("rows", TensorType.I32, rows);
            Tensor out = stream.scratch("values", TensorType.F32, length, rows);
            stream.write(all, ids);
            stream.getRows(table, ids, out);
            return stream.readFloats(out);
        }
    }

    private static MemorySegment floats(float[] values) {
        MemorySegment data = Arena.ofAuto().allocate((long) values.length * Float.BYTES, 64);
        MemorySegment.copy(values, 0, data, FLOAT, 0, values.length);
        return data;
    }

    /**
     * Scales of the value rows moved out of a block-scaled {@code attn_kv_b}: they leave their
     * blocks' rows (a head's {@code dv} rows follow its {@code dn} key rows), so each row gets
     * its own scale per column block.
     */
    private static BlockScales rowScales(BlockScales kv, int heads, int dn, int dv, int r) {
        long across = Math.ceilDiv(r, kv.blockColumns());
        MemorySegment data = Arena.ofAuto().allocate(4L * heads * dv * across, 64);
        for (int h = 0; h < heads; h++) {
            for (int e = 0; e < dv; e++) {
                long fileRow = (long) h * (dn + dv) + dn + e;
                for (long b = 0; b < across; b++) {
                    data.setAtIndex(FLOAT, ((long) h * dv + e) * across + b, kv.scale(fileRow, b * kv.blockColumns()));
                }
            }
        }
        return new BlockScales(data, 1, kv.blockColumns(), dv, r);
    }

    /** Uploads derived bytes, kept alive by the tensor's memory as long as the backend uses them in place. */
    private Tensor upload(String name, MemorySegment data, TensorType type, BlockScales scales, long... dims) {
        Tensor t = backend.uploadWeights(name, type, dims, data, scales);
        placed.add(t);
        bytes += t.byteSize();
        return t;
    }

    private void requireSupport(Tensor t, Op op) {
        if (!backend.supports(op, t.type())) {
            throw new UnsupportedOperationException(source.location() + ": " + t.name() + ": type " + t.type()
                    + " is not supported by kernel backend '" + backend.name() + "' for " + op);
        }
    }
}
