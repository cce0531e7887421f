# Writes reference.gguf with llama.cpp's own Python writer (gguf-py 0.19.0), so that the
# tests can check GgufWriter's output byte for byte against the reference implementation.
# Run: python3 make_reference.py  (needs the gguf and numpy packages). The expected content
# is repeated in GgufReferenceFileTest; change both together.
import numpy as np
from gguf import GGUFWriter, GGUFValueType as T, GGMLQuantizationType as Q

w = GGUFWriter("reference.gguf", "llama")
w.add_custom_alignment(64)
w.add_key_value("u8", 255, T.UINT8)
w.add_key_value("i8", -128, T.INT8)
w.add_key_value("u16", 65535, T.UINT16)
w.add_key_value("i16", -32768, T.INT16)
w.add_key_value("u32", 4294967295, T.UINT32)
w.add_key_value("i32", -2147483648, T.INT32)
w.add_key_value("f32", 1.5, T.FLOAT32)
w.add_key_value("bool", True, T.BOOL)
w.add_key_value("str", "h\u00e9llo \u4e16\u754c", T.STRING)
w.add_key_value("u64", 18446744073709551615, T.UINT64)
w.add_key_value("i64", -9223372036854775808, T.INT64)
w.add_key_value("f64", -0.25, T.FLOAT64)
w.add_key_value("arr.u8", [0, 1, 255], T.ARRAY, T.UINT8)
w.add_key_value("arr.i16", [-2, 3], T.ARRAY, T.INT16)
w.add_key_value("arr.u32", [7, 4294967295], T.ARRAY, T.UINT32)
w.add_key_value("arr.f32", [0.5, -1.0], T.ARRAY, T.FLOAT32)
w.add_key_value("arr.bool", [True, False, True], T.ARRAY, T.BOOL)
w.add_key_value("arr.str", ["a", "", "bc"], T.ARRAY, T.STRING)
w.add_key_value("arr.f64", [2.0], T.ARRAY, T.FLOAT64)
w.add_key_value("arr.arr", [[1, 2], ["x"]], T.ARRAY, T.ARRAY)
w.add_tensor("f32", (np.arange(12, dtype=np.float32) * 0.5 - 1).reshape(3, 4))
w.add_tensor("f16", np.arange(8, dtype=np.float16) / 4)
w.add_tensor("q8_0", np.arange(68, dtype=np.uint8).reshape(2, 34), raw_dtype=Q.Q8_0)
w.add_tensor("i8", (np.arange(24, dtype=np.int8) - 12).reshape(2, 3, 2, 2))
w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file()
w.close()
