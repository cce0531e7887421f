package dev.petrel.loader.gguf;

import dev.petrel.api.weights.TensorType;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Random;

/** Metadata and files that the tests share. */
final class Samples {

    private Samples() {
    }

    /** One key of every scalar type and of every array element type, with edge values. */
    static LinkedHashMap<String, GgufValue> everyValueType() {
        LinkedHashMap<String, GgufValue> values = new LinkedHashMap<>();
        values.put("general.architecture", GgufValue.string("llama"));
        values.put("u8", GgufValue.uint8(255));
        values.put("i8", GgufValue.int8(-128));
        values.put("u16", GgufValue.uint16(65535));
        values.put("i16", GgufValue.int16(-32768));
        values.put("u32", GgufValue.uint32(0xFFFF_FFFFL));
        values.put("i32", GgufValue.int32(Integer.MIN_VALUE));
        values.put("f32", GgufValue.float32(-0.0f));
        values.put("f32.nan", GgufValue.float32(Float.NaN));
        values.put("bool.true", GgufValue.bool(true));
        values.put("bool.false", GgufValue.bool(false));
        values.put("str", GgufValue.string("h\u00e9llo \u4e16\u754c \uD83D\uDE80"));
        values.put("str.empty", GgufValue.string(""));
        values.put("u64", GgufValue.uint64(-1L));
        values.put("i64", GgufValue.int64(Long.MIN_VALUE));
        values.put("f64", GgufValue.float64(Math.PI));
        values.put("arr.u8", GgufValue.array(GgufValueType.UINT8, new int[] {0, 1, 255}));
        values.put("arr.i8", GgufValue.array(GgufValueType.INT8, new int[] {-128, 0, 127}));
        values.put("arr.u16", GgufValue.array(GgufValueType.UINT16, new int[] {0, 65535}));
        values.put("arr.i16", GgufValue.array(GgufValueType.INT16, new int[] {-32768, 32767}));
        values.put("arr.u32", GgufValue.array(GgufValueType.UINT32, new long[] {0, 0xFFFF_FFFFL}));
        values.put("arr.i32", GgufValue.array(GgufValueType.INT32, new int[] {Integer.MIN_VALUE, -1, Integer.MAX_VALUE}));
        values.put("arr.f32", GgufValue.array(GgufValueType.FLOAT32, new float[] {0.5f, -1e-6f, Float.MAX_VALUE}));
        values.put("arr.bool", GgufValue.array(GgufValueType.BOOL, new boolean[] {true, false, true}));
        values.put("arr.str", GgufValue.strings(List.of("a", "", "\u00fc\u00df", "<|endoftext|>")));
        values.put("arr.u64", GgufValue.array(GgufValueType.UINT64, new long[] {-1L, 0}));
        values.put("arr.i64", GgufValue.array(GgufValueType.INT64, new long[] {Long.MIN_VALUE, 42}));
        values.put("arr.f64", GgufValue.array(GgufValueType.FLOAT64, new double[] {-0.0, 1e300}));
        values.put("arr.empty", GgufValue.array(GgufValueType.INT32, new int[0]));
        values.put("arr.arr", GgufValue.arrays(List.of(
                GgufValue.array(GgufValueType.UINT8, new int[] {1, 2}),
                GgufValue.strings(List.of("x", "yz")),
                GgufValue.arrays(List.of(GgufValue.array(GgufValueType.FLOAT64, new double[] {1.5}))),
                GgufValue.arrays(List.of()))));
        return values;
    }

    /** A writer with every value type and tensors of several types, shapes and sources. */
    static GgufWriter sampleWriter() {
        Random random = new Random(42);
        GgufWriter writer = GgufWriter.create();
        everyValueType().forEach(writer::put);
        return writer
                .addTensor("token_embd.weight", new long[] {5}, new float[] {1, -2, 3.5f, 0, Float.MIN_VALUE})
                .addTensor("blk.0.attn_q.weight", TensorType.Q8_0, new long[] {64, 2}, randomBytes(random, 2 * 2 * 34))
                .addTensor("blk.0.ffn_up.weight", TensorType.F16, new long[] {8, 3}, randomBytes(random, 8 * 3 * 2))
                .addTensor("blk.0.ffn_down.weight", TensorType.I8, new long[] {3, 2, 2, 2},
                        MemorySegment.ofArray(randomBytes(random, 24)));
    }

    static byte[] sampleFile() {
        return sampleWriter().toByteArray();
    }

    static byte[] randomBytes(Random random, int n) {
        byte[] bytes = new byte[n];
        random.nextBytes(bytes);
        return bytes;
    }
}
