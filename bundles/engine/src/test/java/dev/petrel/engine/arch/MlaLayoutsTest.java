package dev.petrel.engine.arch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.petrel.api.ModelFormatException;
import dev.petrel.api.kernel.ComputeStream;
import dev.petrel.api.kernel.KernelBackend;
import dev.petrel.api.kernel.Tensor;
import dev.petrel.api.weights.TensorType;
import dev.petrel.api.weights.WeightSource;
import dev.petrel.conformance.RandomModel;
import dev.petrel.engine.arch.WeightPlacer.Shape;
import dev.petrel.kernels.java.HostBackend;
import dev.petrel.kernels.java.ScalarKernelBackend;
import dev.petrel.kernels.java.VectorKernelBackend;
import dev.petrel.loader.gguf.provider.GgufWeightSourceProvider;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The MLA up-projection converted between its two GGUF layouts, element for element. */
class MlaLayoutsTest {

    private static final int H = 3;
    private static final int R = 64;    // kv_lora_rank: two Q8_0 blocks per row
    private static final int DN = 32;
    private static final int DV = 16;

    @TempDir
    Path dir;

    /** A file with a random attn_kv_b {r, H (dn + dv)} and random attn_k_b, attn_v_b, all in {@code type}. */
    private Path file(TensorType type) throws Exception {
        // k_b's rows are DN = 32 long: one Q8_0 block.
        return RandomModel.builder("layouts", 3).putString("general.architecture", "deepseek2")
                .matrix("kv_b", type, R, H * (DN + DV))
                .random("k_b", type, new long[] {DN, R, H}, 0, 0.1)
                .random("v_b", type, new long[] {R, DV, H}, 0, 0.1)
                .build().writeGguf(dir.resolve(type + ".gguf"));
    }

    /** attn_k_b from attn_kv_b's values: per head the key rows, transposed. */
    private static float[] keyPart(float[] kv) {
        float[] kb = new float[DN * R * H];
        for (int h = 0; h < H; h++) {
            for (int i = 0; i < DN; i++) {
                for (int j = 0; j < R; j++) {
                    kb[i + DN * (j + R * h)] = kv[j + R * (h * (DN + DV) + i)];
                }
            }
        }
        return kb;
    }

    /** attn_v_b from attn_kv_b's values: per head the value rows. */
    private static float[] valuePart(float[] kv) {
        float[] vb = new float[R * DV * H];
        for (int h = 0; h < H; h++) {
            System.arraycopy(kv, R * (h * (DN + DV) + DN), vb, R * DV * h, R * DV);
        }
        return vb;
    }

    /** attn_kv_b from attn_k_b's and attn_v_b's values. */
    private static float[] join(float[] kb, float[] vb) {
        float[] kv = new float[R * H * (DN + DV)];
        for (int h = 0; h < H; h++) {
            for (int i = 0; i < DN; i++) {
                for (int j = 0; j < R; j++) {
                    kv[j + R * (h * (DN + DV) + i)] = kb[i + DN * (j + R * h)];
                }
            }
            System.arraycopy(vb, R * DV * h, kv, R * (h * (DN + DV) + DN), R * DV);
        }
        return kv;
    }

    private static float[] values(KernelBackend backend, Tensor t) {
        try (ComputeStream stream = backend.openStream()) {
            long rows = t.elementCount() / t.dim(0);
            Tensor table = t.reshape(t.dim(0), rows);
            int[] all = new int[(int) rows];
            Arrays.setAll(all, i -> i);
            Tensor ids = stream.scratch("ids", TensorType.I32, rows);
            Tensor out = stream.scratch("out", TensorType.F32, t.dim(0), rows);
            stream.write(all, ids);
            stream.getRows(table, ids, out);
            return stream.readFloats(out);
        }
    }

    private static float[] fileValues(KernelBackend backend, WeightSource source, String name) {
        var info = source.requireTensor(name);
        try (Tensor t = backend.uploadWeights(name, info.type(), info.dims(), source.data(info))) {
            return values(backend, t);
        }
    }

    @Test
    void split_andJoined_giveTheFilesOtherLayout_exactly() throws Exception {
        for (TensorType type : new TensorType[] {TensorType.F32, TensorType.Q8_0}) {
            for (HostBackend backend : new HostBackend[] {ScalarKernelBackend.standalone(), VectorKernelBackend.standalone(2)}) {
                try (WeightSource source = new GgufWeightSourceProvider().open(file(type));
                        MlaLayouts layouts = new MlaLayouts(source, backend)) {
                    MlaLayouts.Split split = layouts.split("kv_b", Shape.of("r", R, "H*(dn+dv)", H * (DN + DV)), H, R, DN,
                            DV, "blk.0.");
                    assertEquals(TensorType.F32, split.wkB().type(), "transposed rows are F32");
                    assertEquals(type, split.wvB().type(), "value rows keep the file's type");
                    assertArrayEquals(new long[] {DN, R, H}, split.wkB().dims());
                    assertArrayEquals(new long[] {R, DV, H}, split.wvB().dims());
                    float[] kv = fileValues(backend, source, "kv_b");
                    assertArrayEquals(keyPart(kv), values(backend, split.wkB()), type + " attn_k_b on " + backend.name());
                    assertArrayEquals(valuePart(kv), values(backend, split.wvB()),
                            type + " attn_v_b on " + backend.name());

                    Tensor joined = layouts.joined("k_b", Shape.of("dn", DN, "r", R, "H", H), "v_b",
                            Shape.of("r", R, "dv", DV, "H", H), H, R, DN, DV, "blk.0.attn_kv_b");
                    assertArrayEquals(new long[] {R, H * (DN + DV)}, joined.dims());
                    assertArrayEquals(join(fileValues(backend, source, "k_b"), fileValues(backend, source, "v_b")),
                            values(backend, joined), type + " attn_kv_b on " + backend.name());
                    assertTrue(layouts.bytes() > 0);
                } finally {
                    backend.shutdown(Duration.ofSeconds(1));
                }
            }
        }
    }

    @Test
    void aTensorOfOtherDims_isNamedWithTheKeys() throws Exception {
        ScalarKernelBackend backend = ScalarKernelBackend.standalone();
        try (WeightSource source = new GgufWeightSourceProvider().open(file(TensorType.F32));
                MlaLayouts layouts = new MlaLayouts(source, backend)) {
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> layouts.split("kv_b",
                    Shape.of("kv_lora_rank (deepseek2.attention.kv_lora_rank)", 48, "H*(dn+dv)", H * (DN + DV)),
                    H, 48, DN, DV, "blk.0."));
            assertEquals("kv_b", e.field());
            assertTrue(e.getMessage().contains("deepseek2.attention.kv_lora_rank"), e.getMessage());
        } finally {
            backend.shutdown(Duration.ofSeconds(1));
        }
    }
}
