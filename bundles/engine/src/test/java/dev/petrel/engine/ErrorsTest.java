package dev.petrel.engine;

import static dev.petrel.engine.Fixture.F32_CACHE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.petrel.api.ModelFormatException;
import dev.petrel.api.PetrelException;
import dev.petrel.api.engine.LoadOptions;
import dev.petrel.api.engine.Model;
import dev.petrel.api.engine.Session;
import dev.petrel.api.kernel.BufferUsage;
import dev.petrel.api.kernel.KernelBackend;
import dev.petrel.api.weights.TensorType;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input: each error names the file and the key or tensor, and says what was expected. */
class ErrorsTest {

    @TempDir
    static Path dir;
    private static KernelBackend backend;
    private static PetrelEngine engine;

    @BeforeAll
    static void start() {
        backend = Fixture.backend("java-scalar");
        engine = Fixture.engine(backend);
    }

    @AfterAll
    static void stop() {
        Fixture.shutdown(backend);
    }

    @AfterEach
    void nothingLeftBehind() {
        assertTrue(engine.models().isEmpty(), "loaded models: " + engine.models());
        assertEquals(0, backend.allocatedBytes(BufferUsage.WEIGHTS));
        assertEquals(0, backend.allocatedBytes(BufferUsage.CACHE));
    }

    private static ModelFormatException loadFails(TinyModel m, String file) throws Exception {
        Path path = m.write(dir, file);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> engine.load(path, F32_CACHE));
        assertEquals(path.toString(), e.source());
        return e;
    }

    @Test
    void unknownArchitecture_listsTheKnownOnes() throws Exception {
        ModelFormatException e = loadFails(TinyModel.llama().meta(w -> w.put("general.architecture", "gpt5")),
                "gpt5.gguf");
        assertEquals("general.architecture", e.field());
        assertTrue(e.getMessage().contains("unknown architecture 'gpt5'; known: llama, qwen2, qwen2moe, qwen3, qwen3moe"), e.getMessage());
    }

    @Test
    void missingTensor_isNamed() throws Exception {
        TinyModel m = TinyModel.llama();
        m.tensors.remove("blk.1.ffn_up.weight");
        ModelFormatException e = loadFails(m, "missing.gguf");
        assertEquals("blk.1.ffn_up.weight", e.field());
        assertTrue(e.getMessage().contains("missing"), e.getMessage());
    }

    @Test
    void tensorWithOtherDims_saysWhatTheMetadataImplies() throws Exception {
        TinyModel m = TinyModel.llama();
        m.matrix("blk.0.attn_k.weight", 64, 48, 0.1f);
        ModelFormatException e = loadFails(m, "dims.gguf");
        assertEquals("blk.0.attn_k.weight", e.field());
        assertTrue(e.getMessage().contains("expected dims [64, 32] {n_embd, Hkv*dk} from the metadata, found [64, 48]"),
                e.getMessage());
    }

    @Test
    void metadataThatDisagreesWithTheTensors_isCaughtAtTheTensor() throws Exception {
        ModelFormatException e = loadFails(TinyModel.llama().meta(w -> w.putUint32("llama.feed_forward_length", 128)),
                "ff.gguf");
        assertEquals("blk.0.ffn_gate.weight", e.field());
        assertTrue(e.getMessage().contains("{n_embd, n_ff}"), e.getMessage());
    }

    @Test
    void normOfAnotherType_isRejected() throws Exception {
        TinyModel m = TinyModel.llama();
        float[] norm = m.weight("output_norm.weight");
        m.tensors.put("output_norm.weight", new TinyModel.Weight(TensorType.F16, new long[] {norm.length}, norm));
        ModelFormatException e = loadFails(m, "type.gguf");
        assertEquals("output_norm.weight", e.field());
        assertTrue(e.getMessage().contains("expected type F32, found F16"), e.getMessage());
    }

    @Test
    void tensorsBeyondTheBlockCount_areRejected() throws Exception {
        TinyModel m = TinyModel.llama();
        m.vector("blk.2.attn_norm.weight", 64, 1, 0);
        ModelFormatException e = loadFails(m, "extra.gguf");
        assertEquals("blk.2.attn_norm.weight", e.field());
        assertTrue(e.getMessage().contains("unexpected tensor"), e.getMessage());
    }

    @Test
    void expertCountThatDisagreesWithTheTensors_namesTensorAndKey() throws Exception {
        // the file holds 4 experts per layer, its metadata says 6
        ModelFormatException e = loadFails(TinyModel.mixtral().meta(w -> w.putUint32("llama.expert_count", 6)),
                "experts.gguf");
        assertEquals("blk.0.ffn_gate_inp.weight", e.field());
        assertTrue(e.getMessage().contains("expected dims [64, 6] {n_embd, llama.expert_count}"), e.getMessage());
        assertTrue(e.getMessage().contains("found [64, 4]"), e.getMessage());

        TinyModel m = TinyModel.mixtral();
        m.stacked("blk.1.ffn_down_exps.weight", 96, 64, 3, 0.1f);
        e = loadFails(m, "down.gguf");
        assertEquals("blk.1.ffn_down_exps.weight", e.field());
        assertTrue(e.getMessage().contains("expected dims [96, 64, 4] {llama.feed_forward_length, n_embd, "
                + "llama.expert_count} from the metadata, found [96, 64, 3]"), e.getMessage());
    }

    @Test
    void expertsUsedBeyondTheExpertCount_isRejectedAtTheKey() throws Exception {
        ModelFormatException e = loadFails(TinyModel.mixtral().meta(w -> w.putUint32("llama.expert_used_count", 5)),
                "used.gguf");
        assertEquals("llama.expert_used_count", e.field());
        assertTrue(e.getMessage().contains("expected at most llama.expert_count = 4 experts per token, found 5"),
                e.getMessage());
    }

    @Test
    void moeFileWithoutItsExperts_orWithDenseTensorsLeft_isRejected() throws Exception {
        TinyModel m = TinyModel.mixtral();
        m.tensors.remove("blk.0.ffn_up_exps.weight");
        ModelFormatException e = loadFails(m, "no-up.gguf");
        assertEquals("blk.0.ffn_up_exps.weight", e.field());

        m = TinyModel.mixtral();
        m.matrix("blk.1.ffn_gate.weight", 64, 96, 0.1f);
        e = loadFails(m, "dense-left.gguf");
        assertEquals("blk.1.ffn_gate.weight", e.field());
        assertTrue(e.getMessage().contains("unexpected tensor"), e.getMessage());

        // experts in the file, expert_count 0 in the metadata: a dense llama, whose FFN is missing
        e = loadFails(TinyModel.mixtral().meta(w -> w.putUint32("llama.expert_count", 0)), "zero.gguf");
        assertEquals("blk.0.ffn_gate.weight", e.field());
    }

    @Test
    void mixtral_loadsAndCountsOnlyTheUsedExpertsAsActive() throws Exception {
        try (Model model = engine.load(TinyModel.mixtral().write(dir, "mixtral.gguf"), F32_CACHE)) {
            long experts = 2L * 3 * 64 * 96 * 4 * Float.BYTES;   // blocks x (gate, up, down) x floats x experts
            assertEquals(experts / 2, model.weightBytes() - model.activeWeightBytesPerToken()
                    - (259L - 1) * 64 * Float.BYTES);            // half the experts idle, all but one embedding row
            try (Session s = model.openSession()) {
                float[] logits = s.process(new int[] {1, 2, 3});
                for (float v : logits) {
                    assertTrue(Float.isFinite(v));
                }
            }
        }
    }

    @Test
    void qwen2WithoutBiases_isRejected() throws Exception {
        TinyModel m = TinyModel.qwen2();
        m.tensors.remove("blk.0.attn_v.bias");
        assertEquals("blk.0.attn_v.bias", loadFails(m, "bias.gguf").field());
    }

    @Test
    void missingKey_isNamed() throws Exception {
        ModelFormatException e = loadFails(TinyModel.qwen3().meta(w -> w.remove("qwen3.attention.head_count")),
                "key.gguf");
        assertEquals("qwen3.attention.head_count", e.field());
    }

    @Test
    void weightTypeTheBackendLacks_namesTensorTypeAndBackend() throws Exception {
        TinyModel m = TinyModel.llama();
        TensorType odd = TensorType.IQ4_NL;   // blocks of 32, read by no Java kernel
        assertTrue(!backend.supports(dev.petrel.api.kernel.Op.MATMUL, odd), "the test needs an unsupported type");
        m.tensors.put("blk.0.ffn_down.weight", new TinyModel.Weight(odd, new long[] {96, 64}, null));
        Path path = m.write(dir, "odd-type.gguf");
        PetrelException e = assertThrows(PetrelException.class, () -> engine.load(path, F32_CACHE));
        assertTrue(e.getMessage().contains(path.toString()) && e.getMessage().contains("blk.0.ffn_down.weight")
                && e.getMessage().contains("IQ4_NL") && e.getMessage().contains("java-scalar"), e.getMessage());
    }

    @Test
    void notAModelFile_isRefusedByFormat() throws Exception {
        Path junk = Files.writeString(dir.resolve("notes.txt"), "not a model");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> engine.load(junk));
        assertEquals("format", e.field());
        assertTrue(e.getMessage().contains("[gguf]"), e.getMessage());
        assertThrows(NoSuchFileException.class, () -> engine.load(dir.resolve("absent.gguf")));
    }

    @Test
    void promptLongerThanTheContext_failsBeforeAnythingRuns() throws Exception {
        Path path = TinyModel.llama().write(dir, "context.gguf");
        try (Model model = engine.load(path, new LoadOptions(16, TensorType.F32, null));
                Session s = model.openSession()) {
            s.process(new int[] {1, 2, 3, 4, 5, 6});
            PetrelException e = assertThrows(PetrelException.class, () -> s.process(new int[11]));
            assertTrue(e.getMessage().contains(path.toString())
                    && e.getMessage().contains("11 tokens do not fit the context: 6 of 16 positions are taken"),
                    e.getMessage());
            assertEquals(6, s.position());
            s.process(new int[10]);
            assertEquals(16, s.position());
        }
    }

    @Test
    void idOutsideTheVocabulary_isRejected() throws Exception {
        try (Model model = engine.load(TinyModel.qwen3().write(dir, "vocab.gguf"), F32_CACHE);
                Session s = model.openSession()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> s.process(new int[] {5, TinyModel.VOCAB}));
            assertTrue(e.getMessage().contains("259 is outside the vocabulary [0, 259)"), e.getMessage());
            assertEquals(0, s.position());
        }
    }
}
