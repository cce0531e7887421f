package dev.petrel.quant.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.petrel.api.quant.QuantFormat;
import dev.petrel.api.weights.TensorType;
import dev.petrel.quant.kernel.QuantKernel;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The QuantFormat services: their DS descriptors and the api contract over whole rows. */
class QuantFormatServicesTest {

    static List<QuantFormat> formats() {
        return List.of(new F32Format(), new F16Format(), new BF16Format(), new Q8_0Format(), new Q4_0Format());
    }

    @ParameterizedTest
    @MethodSource("formats")
    void component_isRegisteredWithItsTypeProperty(QuantFormat format) throws IOException {
        String name = "OSGI-INF/" + format.getClass().getName() + ".xml";
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(name)) {
            assertNotNull(in, "bnd wrote " + name);
            String xml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(xml.contains("<property name=\"type\" type=\"String\" value=\"" + format.type().name() + "\"/>"),
                    xml);
            assertTrue(xml.contains("<provide interface=\"dev.petrel.api.quant.QuantFormat\"/>"), xml);
        }
    }

    @ParameterizedTest
    @MethodSource("formats")
    void rows_roundTripThroughTheReferenceCodec(QuantFormat format) {
        TensorType type = format.type();
        assertEquals(QuantKernel.scalar(type).dotType(), format.dotType());
        assertFalse(format.blockScaled());
        Random random = new Random(type.ordinal());
        int n = 64;
        float[] src = new float[3 * n + 1];
        for (int i = 0; i < src.length; i++) {
            src[i] = (float) random.nextGaussian();
        }
        long rowBytes = type.rowBytes(n);
        MemorySegment data = MemorySegment.ofArray(new byte[(int) (3 * rowBytes)]);
        assertNull(format.quantize(src, 1, n, 3, data, 0));

        float[] rows = new float[2 * n + 2];
        format.dequantize(data, n, 1, 2, null, rows, 2);
        float[] expected = new float[2 * n];
        QuantKernel kernel = QuantKernel.scalar(type);
        MemorySegment one = MemorySegment.ofArray(new byte[(int) rowBytes]);
        for (int r = 1; r < 3; r++) {
            kernel.quantize(src, 1 + r * n, one, 0, n);
            kernel.dequantize(one, 0, expected, (r - 1) * n, n);
        }
        float[] got = new float[2 * n];
        System.arraycopy(rows, 2, got, 0, 2 * n);
        assertArrayEquals(expected, got);

        MemorySegment x = MemorySegment.ofArray(new byte[(int) format.dotType().rowBytes(n)]);
        kernel.quantizeActivations(src, 0, x, 0, n);
        assertEquals(kernel.dot(data, rowBytes, x, 0, n), format.dot(data, rowBytes, x, 0, n));
    }

    @Test
    void badArguments_areRejectedWithTheTypeAndSizes() {
        QuantFormat q8 = new Q8_0Format();
        MemorySegment data = MemorySegment.ofArray(new byte[34 * 4]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> q8.dequantize(data, 48, 0, 1, null, new float[48], 0));
        assertTrue(e.getMessage().contains("Q8_0") && e.getMessage().contains("48"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> q8.dequantize(data, 64, 1, 2, null, new float[128], 0));
        assertTrue(e.getMessage().contains("136 bytes"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> q8.dequantize(data, 64, -1, 1, null, new float[64], 0));
        assertThrows(IllegalArgumentException.class,
                () -> q8.dequantize(data, 64, Long.MAX_VALUE / 2, 2, null, new float[128], 0));
        assertThrows(IllegalArgumentException.class, () -> q8.dequantize(data, 64, 0, 2, null, new float[127], 0));
        assertThrows(IllegalArgumentException.class, () -> q8.quantize(new float[64], 0, 64, 2, data, 0));
        assertThrows(IllegalArgumentException.class, () -> q8.quantize(new float[256], 0, 64, 4, data, 1));
        assertThrows(IllegalArgumentException.class, () -> q8.dot(data, 0, data, 0, 31));
    }
}
