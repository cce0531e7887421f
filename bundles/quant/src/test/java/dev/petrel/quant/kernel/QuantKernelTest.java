package dev.petrel.quant.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.petrel.api.weights.TensorType;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** Lookup, dot types and argument checks. */
class QuantKernelTest {

    @Test
    void lookup_givesOneVectorAndOneScalarKernelPerFormat() {
        System.out.println("vector species: " + Simd.F + ", Q4_0 " + Simd.F4);
        for (TensorType t : TensorType.values()) {
            boolean supported = t == TensorType.F32 || t == TensorType.F16 || t == TensorType.BF16
                    || t == TensorType.Q8_0 || t == TensorType.Q4_0 || t == TensorType.F8_E4M3;
            assertEquals(supported, QuantKernel.supports(t), t.name());
            if (supported) {
                assertEquals(t, QuantKernel.vector(t).type());
                assertEquals(t, QuantKernel.scalar(t).type());
                assertTrue(QuantKernel.vector(t).vectorized());
                assertFalse(QuantKernel.scalar(t).vectorized());
            } else {
                UnsupportedOperationException e =
                        assertThrows(UnsupportedOperationException.class, () -> QuantKernel.vector(t));
                assertTrue(e.getMessage().contains(t.name()), e.getMessage());
            }
        }
    }

    @Test
    void dotType_isGgmlVecDotType() {
        assertEquals(TensorType.F32, F32Kernel.VECTOR.dotType());
        assertEquals(TensorType.F16, F16Kernel.VECTOR.dotType());
        assertEquals(TensorType.BF16, BF16Kernel.VECTOR.dotType());
        assertEquals(TensorType.Q8_0, Q8_0Kernel.VECTOR.dotType());
        assertEquals(TensorType.F32, F8E4M3Kernel.VECTOR.dotType());
        assertEquals(TensorType.Q8_0, Q4_0Kernel.VECTOR.dotType());
        assertEquals(18L * 4, Q4_0Kernel.SCALAR.rowBytes(128));
        assertEquals(34L * 4, Q4_0Kernel.SCALAR.activationBytes(128));
    }

    @Test
    void dot_rejectsLengthsThatAreNotWholeBlocks() {
        MemorySegment s = MemorySegment.ofArray(new byte[1024]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Q8_0Kernel.VECTOR.dot(s, 0, s, 0, 33));
        assertTrue(e.getMessage().contains("Q8_0") && e.getMessage().contains("33"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Q4_0Kernel.VECTOR.matmul(s, 0, 1, s, 0, 1,
                new float[1], 0, 1, 16));
        assertThrows(IllegalArgumentException.class, () -> F32Kernel.VECTOR.matmul(s, 0, -1, s, 0, 1,
                new float[1], 0, 1, 16));
    }

    @Test
    void dot_outsideTheSegmentThrowsIndexOutOfBounds() {
        MemorySegment s = MemorySegment.ofArray(new byte[34 * 2]);
        assertThrows(IndexOutOfBoundsException.class, () -> Q8_0Kernel.VECTOR.dot(s, 1, s, 0, 64));
        assertThrows(IndexOutOfBoundsException.class, () -> Q8_0Kernel.SCALAR.dot(s, 0, s, 0, 96));
        assertThrows(IndexOutOfBoundsException.class, () -> F32Kernel.VECTOR.dot(s, 0, s, 4, 17));
    }
}
