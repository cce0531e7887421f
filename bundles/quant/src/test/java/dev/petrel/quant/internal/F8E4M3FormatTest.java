package dev.petrel.quant.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.petrel.api.quant.BlockScales;
import dev.petrel.api.quant.QuantFormat;
import dev.petrel.api.weights.TensorType;
import dev.petrel.quant.kernel.F8E4M3Kernel;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The FP8 E4M3 format service: block scales chosen at quantization and applied at dequantization. */
class F8E4M3FormatTest {

    private final QuantFormat format = new F8E4M3Format();

    @Test
    void component_isRegisteredAsF8E4M3() throws IOException {
        String name = "OSGI-INF/" + F8E4M3Format.class.getName() + ".xml";
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(name)) {
            assertNotNull(in, "bnd wrote " + name);
            String xml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(xml.contains("<property name=\"type\" type=\"String\" value=\"F8_E4M3\"/>"), xml);
        }
        assertEquals(TensorType.F8_E4M3, format.type());
        assertEquals(TensorType.F32, format.dotType());
        assertTrue(format.blockScaled());
    }

    @Test
    void quantizeThenDequantize_appliesEachBlocksScale() {
        Random random = new Random(5);
        int n = 300;
        int rows = 140;
        float[] src = new float[rows * n];
        for (int i = 0; i < src.length; i++) {
            // blocks of very different magnitudes: a wrong scale lookup shows
            src[i] = (float) (random.nextGaussian() * ((i / n) < 128 ? 0.01 : 10) * ((i % n) < 128 ? 1 : 3));
        }
        MemorySegment data = MemorySegment.ofArray(new byte[rows * n]);
        BlockScales scales = format.quantize(src, 0, n, rows, data, 0);
        assertEquals(128, scales.blockRows());
        assertEquals(6, scales.scalesPerMatrix());
        float[] back = new float[2 * n];
        format.dequantize(data, n, 127, 2, scales, back, 0);
        for (int r = 0; r < 2; r++) {
            for (int c = 0; c < n; c++) {
                float want = F8E4M3Kernel.toFloat(data.get(java.lang.foreign.ValueLayout.JAVA_BYTE, (127L + r) * n + c))
                        * scales.scale(127 + r, c);
                assertEquals(want, back[r * n + c], 0f);
                float original = src[(127 + r) * n + c];
                assertEquals(original, back[r * n + c], Math.abs(original) / 16 + scales.scale(127 + r, c) / 512);
            }
        }
    }

    @Test
    void dequantize_withoutScales_isRefused() {
        MemorySegment data = MemorySegment.ofArray(new byte[64]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> format.dequantize(data, 64, 0, 1, null, new float[64], 0));
        assertTrue(e.getMessage().contains("weight_scale_inv"), e.getMessage());
    }
}
