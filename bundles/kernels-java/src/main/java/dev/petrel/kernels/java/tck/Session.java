package dev.petrel.kernels.java.tck;

import dev.petrel.api.kernel.BufferUsage;
import dev.petrel.api.kernel.ComputeStream;
import dev.petrel.api.kernel.KernelBackend;
import dev.petrel.api.kernel.Tensor;
import dev.petrel.api.weights.TensorType;
import dev.petrel.api.quant.BlockScales;
import dev.petrel.quant.kernel.F8E4M3Kernel;
import dev.petrel.quant.kernel.QuantKernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * One backend's side of a case: tensors made from host values through the backend's public
 * api only (so the TCK runs on any backend), one stream, and cleanup of everything at the end.
 */
final class Session implements AutoCloseable {

    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int BLOCK = 128;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final KernelBackend backend;
    private final ComputeStream stream;
    private final Arena arena = Arena.ofShared();
    private final List<Tensor> tensors = new ArrayList<>();

    Session(KernelBackend backend) {
        this.backend = backend;
        this.stream = backend.openStream();
    }

    ComputeStream stream() {
        return stream;
    }

    /** A compute tensor holding {@code values} in {@code type} (F32, F16 or BF16, rounded to nearest even). */
    Tensor values(TensorType type, float[] values, long... dims) {
        Tensor tensor = track(backend.allocate("input", BufferUsage.COMPUTE, type, dims));
        stream.write(encode(type, values, dims), tensor);
        return tensor;
    }

    Tensor f32(float[] values, long... dims) {
        return values(TensorType.F32, values, dims);
    }

    Tensor ids(int[] values, long... dims) {
        Tensor tensor = track(backend.allocate("ids", BufferUsage.COMPUTE, TensorType.I32, dims));
        stream.write(values, tensor);
        return tensor;
    }

    /** A weight of {@code type} encoded by the reference quantizer, uploaded from native memory. */
    Tensor weights(TensorType type, float[] values, long... dims) {
        if (type == TensorType.F8_E4M3) {
            return scaledWeights(values, dims);
        }
        return track(backend.uploadWeights("weight", type, dims, encode(type, values, dims)));
    }

    /**
     * An FP8 E4M3 weight with 128 × 128 block scales per matrix ({@code dims = {n, rows}} or
     * {@code {n, rows, matrices}}), quantized as DeepSeek-V3's weights are.
     */
    private Tensor scaledWeights(float[] values, long... dims) {
        int n = (int) dims[0];
        int rows = (int) (dims.length > 1 ? dims[1] : 1);
        int matrices = values.length / (n * rows);
        MemorySegment bytes = arena.allocate((long) values.length, 64);
        int perMatrix = Math.ceilDiv(rows, BLOCK) * Math.ceilDiv(n, BLOCK);
        MemorySegment scales = arena.allocate(4L * perMatrix * matrices, 64);
        for (int m = 0; m < matrices; m++) {
            float[] s = F8E4M3Kernel.quantizeBlocks(values, m * n * rows, rows, n, BLOCK, BLOCK, bytes,
                    (long) m * n * rows);
            MemorySegment.copy(s, 0, scales, FLOAT, 4L * perMatrix * m, s.length);
        }
        return track(backend.uploadWeights("weight", TensorType.F8_E4M3, dims, bytes,
                new BlockScales(scales, BLOCK, BLOCK, rows, n)));
    }

    /** A zeroed tensor for an op's output. */
    Tensor output(TensorType type, long... dims) {
        return track(backend.allocate("output", BufferUsage.COMPUTE, type, dims));
    }

    float[] floats(Tensor tensor) {
        return stream.readFloats(tensor);
    }

    int[] ints(Tensor tensor) {
        return stream.readInts(tensor);
    }

    /** The raw bytes of a tensor as floats' bit patterns would hide nothing: compared exactly. */
    byte[] bytes(Tensor tensor) {
        byte[] bytes = new byte[Math.toIntExact(tensor.byteSize())];
        stream.read(tensor, MemorySegment.ofArray(bytes));
        return bytes;
    }

    /** Host bytes of {@code values} in {@code type}, rows of {@code dims[0]}, in native memory. */
    MemorySegment encode(TensorType type, float[] values, long... dims) {
        int n = (int) dims[0];
        int rows = values.length / n;
        long rowBytes = type.rowBytes(n);
        MemorySegment bytes = arena.allocate(rowBytes * rows, 64);
        switch (type) {
            case F32 -> MemorySegment.copy(values, 0, bytes, FLOAT, 0, values.length);
            case F16 -> {
                for (int i = 0; i < values.length; i++) {
                    bytes.setAtIndex(SHORT, i, Float.floatToFloat16(values[i]));
                }
            }
            case BF16 -> {
                for (int i = 0; i < values.length; i++) {
                    bytes.setAtIndex(SHORT, i, toBf16(values[i]));
                }
            }
            default -> {
                QuantKernel reference = QuantKernel.scalar(type);
                for (int r = 0; r < rows; r++) {
                    reference.quantize(values, r * n, bytes, r * rowBytes, n);
                }
            }
        }
        return bytes;
    }

    private static short toBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
    }

    private Tensor track(Tensor tensor) {
        tensors.add(tensor);
        return tensor;
    }

    @Override
    public void close() {
        stream.close();
        for (Tensor tensor : tensors) {
            tensor.close();
        }
        arena.close();
    }
}
