package dev.petrel.kernels.java;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.petrel.api.kernel.BufferUsage;
import dev.petrel.api.kernel.ComputeStream;
import dev.petrel.api.kernel.Op;
import dev.petrel.api.kernel.Tensor;
import dev.petrel.api.weights.TensorType;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What a stream refuses, and how it says so; scratch memory; supports(). */
class StreamChecksTest {

    private final VectorKernelBackend backend = VectorKernelBackend.standalone(2);
    private final ComputeStream stream = backend.openStream();

    @AfterEach
    void shutDown() {
        stream.close();
        backend.shutdown(Duration.ZERO);
    }

    private Tensor f32(long... dims) {
        return backend.allocate("t", BufferUsage.COMPUTE, TensorType.F32, dims);
    }

    @Test
    void matmul_wrongInputLength_namesOpOperandAndDimension() {
        Tensor w = f32(128, 16);
        Tensor x = f32(100, 2);
        Tensor out = f32(16, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> stream.matmul(w, x, out));
        assertTrue(e.getMessage().startsWith("MATMUL: operand x"), e.getMessage());
        assertTrue(e.getMessage().contains("dim 0 is 100, expected 128"), e.getMessage());
    }

    @Test
    void ops_refuseTensorsOfAnotherBackend() {
        ScalarKernelBackend other = ScalarKernelBackend.standalone();
        try {
            Tensor foreign = other.allocate("foreign", BufferUsage.COMPUTE, TensorType.F32, 4);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> stream.scale(foreign, 1f, foreign));
            assertTrue(e.getMessage().contains("belongs to backend java-scalar"), e.getMessage());
        } finally {
            other.shutdown(Duration.ZERO);
        }
    }

    @Test
    void matmul_ofAnUnsupportedType_throwsUnsupportedOperation() {
        assertFalse(backend.supports(Op.MATMUL, TensorType.Q4_K));
        assertThrows(UnsupportedOperationException.class,
                () -> backend.allocate("w", BufferUsage.WEIGHTS, TensorType.Q4_K, 256, 2));
    }

    @Test
    void supports_answersPerOpAndType() {
        for (TensorType type : new TensorType[] {TensorType.F32, TensorType.F16, TensorType.BF16, TensorType.Q8_0,
                TensorType.Q4_0}) {
            assertTrue(backend.supports(Op.MATMUL, type), type.name());
            assertTrue(backend.supports(Op.GET_ROWS, type), type.name());
        }
        assertTrue(backend.supports(Op.ATTENTION, TensorType.F16));
        assertFalse(backend.supports(Op.ATTENTION, TensorType.Q8_0));
        assertTrue(backend.supports(Op.COPY, TensorType.F32, TensorType.BF16));
        assertFalse(backend.supports(Op.COPY, TensorType.F32, TensorType.Q8_0));
        assertTrue(backend.supports(Op.MOE_ROUTE));
        assertFalse(backend.supports(Op.SOFTMAX, TensorType.F16));
    }

    @Test
    void getRows_idOutsideTheTable_isRefused() {
        Tensor table = f32(8, 4);
        Tensor ids = backend.allocate("ids", BufferUsage.COMPUTE, TensorType.I32, 2);
        stream.write(new int[] {1, 4}, ids);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> stream.getRows(table, ids, f32(8, 2)));
        assertTrue(e.getMessage().contains("id 4 at index 1"), e.getMessage());
    }

    @Test
    void attention_headsNotAMultipleOfKeyValueHeads_areRefused() {
        Tensor q = f32(64, 6, 1);
        Tensor k = f32(64, 4, 8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> stream.attention(q, k, k, 64, 0.125f, 0, f32(64, 6, 1)));
        assertTrue(e.getMessage().contains("not a multiple"), e.getMessage());
    }

    @Test
    void attention_pastTheCache_isRefused() {
        Tensor q = f32(64, 4, 3);
        Tensor k = f32(64, 2, 8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> stream.attention(q, k, k, 64, 0.125f, 6, f32(64, 4, 3)));
        assertTrue(e.getMessage().contains("holds 8 positions, the batch needs 9"), e.getMessage());
    }

    @Test
    void scratch_usedAfterReset_fails() {
        Tensor tmp = stream.scratch("tmp", TensorType.F32, 16);
        stream.resetScratch();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> stream.scale(tmp, 2f, tmp));
        assertTrue(e.getMessage().contains("tmp"), e.getMessage());
    }

    @Test
    void scratch_settlesIntoOneChunkAndIsReused() {
        for (int step = 0; step < 3; step++) {
            for (int i = 0; i < 40; i++) {
                stream.scratch("tmp" + i, TensorType.F32, 10_000);
            }
            stream.resetScratch();
        }
        long settled = backend.allocatedBytes(BufferUsage.COMPUTE);
        for (int step = 0; step < 3; step++) {
            for (int i = 0; i < 40; i++) {
                stream.scratch("tmp" + i, TensorType.F32, 10_000);
            }
            stream.resetScratch();
        }
        assertEquals(settled, backend.allocatedBytes(BufferUsage.COMPUTE));
    }

    @Test
    void sliceAndReshape_areViewsOfTheSameMemory() {
        Tensor cache = backend.allocate("cache", BufferUsage.CACHE, TensorType.F32, 2, 3, 4);
        Tensor rows = f32(2, 3, 1);
        stream.write(java.lang.foreign.MemorySegment.ofArray(new float[] {1, 2, 3, 4, 5, 6}), rows);
        stream.copy(rows, cache.slice(2, 1));
        float[] all = stream.readFloats(cache.reshape(6, 4));
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, java.util.Arrays.copyOfRange(all, 12, 18));
        assertEquals(0f, all[11]);
        assertThrows(IndexOutOfBoundsException.class, () -> cache.slice(3, 2));
        assertThrows(IllegalArgumentException.class, () -> cache.reshape(5, 5));
    }
}
