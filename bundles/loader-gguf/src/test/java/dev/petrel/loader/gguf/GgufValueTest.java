package dev.petrel.loader.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class GgufValueTest {

    @Test
    void scalarFactories_rejectValuesOutsideTheirType() {
        assertThrows(IllegalArgumentException.class, () -> GgufValue.uint8(256));
        assertThrows(IllegalArgumentException.class, () -> GgufValue.uint8(-1));
        assertThrows(IllegalArgumentException.class, () -> GgufValue.int8(128));
        assertThrows(IllegalArgumentException.class, () -> GgufValue.uint16(65536));
        assertThrows(IllegalArgumentException.class, () -> GgufValue.int16(-32769));
        assertThrows(IllegalArgumentException.class, () -> GgufValue.uint32(1L << 32));
        assertThrows(IllegalArgumentException.class, () -> GgufValue.uint32(-1));
        assertEquals(255, GgufValue.uint8(255).value());
        assertEquals(-128, GgufValue.int8(-128).value());
        assertEquals(0xFFFF_FFFFL, GgufValue.uint32(0xFFFF_FFFFL).value());
    }

    @Test
    void arrayFactory_checksTheJavaFormAndEveryElement() {
        assertThrows(IllegalArgumentException.class, () -> GgufValue.array(GgufValueType.UINT8, new int[] {1, 256}));
        assertThrows(IllegalArgumentException.class, () -> GgufValue.array(GgufValueType.INT32, new long[] {1}));
        assertThrows(IllegalArgumentException.class, () -> GgufValue.array(GgufValueType.UINT32, new long[] {-1}));
        assertThrows(IllegalArgumentException.class, () -> GgufValue.array(GgufValueType.FLOAT32, new double[] {1}));
        List<String> withNull = new ArrayList<>();
        withNull.add(null);
        assertThrows(IllegalArgumentException.class, () -> GgufValue.strings(withNull));
        assertThrows(IllegalArgumentException.class, () -> GgufValue.arrays(List.of(GgufValue.uint8(1))));
        assertEquals(3, GgufValue.array(GgufValueType.BOOL, new boolean[] {true, false, true}).length());
    }

    @Test
    void arrayFactory_copiesItsInput() {
        int[] input = {1, 2, 3};
        GgufValue value = GgufValue.array(GgufValueType.INT32, input);
        input[0] = 99;
        assertArrayEquals(new int[] {1, 2, 3}, (int[]) value.value());
    }

    @Test
    void equals_comparesTypeAsWellAsContent() {
        assertNotEquals(GgufValue.uint8(1), GgufValue.int8(1));
        assertNotEquals(GgufValue.uint32(1), GgufValue.int64(1));
        assertNotEquals(GgufValue.array(GgufValueType.UINT32, new long[] {1}),
                GgufValue.array(GgufValueType.INT64, new long[] {1}));
        assertNotEquals(GgufValue.float64(0.0), GgufValue.float64(-0.0));
        assertEquals(GgufValue.array(GgufValueType.FLOAT32, new float[] {1, 2}),
                GgufValue.array(GgufValueType.FLOAT32, new float[] {1, 2}));
        GgufValue nested = GgufValue.arrays(List.of(GgufValue.array(GgufValueType.UINT8, new int[] {1})));
        GgufValue sameShapeOtherType = GgufValue.arrays(List.of(GgufValue.array(GgufValueType.INT8, new int[] {1})));
        assertNotEquals(nested, sameShapeOtherType);
        assertEquals(nested.hashCode(), GgufValue.arrays(List.of(GgufValue.array(GgufValueType.UINT8, new int[] {1}))).hashCode());
    }

    @Test
    void arrayOfArrays_givesPlainValuesAndTypedElements() {
        GgufValue nested = GgufValue.arrays(List.of(
                GgufValue.array(GgufValueType.UINT16, new int[] {7}),
                GgufValue.strings(List.of("x"))));
        List<?> plain = (List<?>) nested.value();
        assertArrayEquals(new int[] {7}, (int[]) plain.get(0));
        assertEquals(List.of("x"), plain.get(1));
        assertEquals(Optional.of(GgufValueType.UINT16), nested.elements().get(0).elementType());
        assertEquals(Optional.of(GgufValueType.ARRAY), nested.elementType());
        assertThrows(IllegalStateException.class, () -> GgufValue.strings(List.of()).elements());
        assertThrows(IllegalStateException.class, () -> GgufValue.int32(1).length());
    }

    @Test
    void toString_namesTypeAndValue() {
        assertEquals("uint32 4096", GgufValue.uint32(4096).toString());
        assertEquals("uint64 18446744073709551615", GgufValue.uint64(-1).toString());
        assertEquals("string \"llama\"", GgufValue.string("llama").toString());
        assertEquals("array<string>[2]", GgufValue.strings(List.of("a", "b")).toString());
    }

    @Test
    void valueTypeIds_followGguf() {
        assertEquals(0, GgufValueType.UINT8.id());
        assertEquals(9, GgufValueType.ARRAY.id());
        assertEquals(12, GgufValueType.FLOAT64.id());
        for (GgufValueType t : GgufValueType.values()) {
            assertEquals(Optional.of(t), GgufValueType.ofId(t.id()));
        }
        assertEquals(Optional.empty(), GgufValueType.ofId(13));
        assertEquals(Optional.empty(), GgufValueType.ofId(-1));
    }
}
