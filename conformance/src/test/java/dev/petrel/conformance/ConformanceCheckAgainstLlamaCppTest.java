package dev.petrel.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.petrel.api.weights.TensorType;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The criteria on llama.cpp against itself and against changed copies of itself: the checks an
 * engine test will run, with llama.cpp standing in for the engine.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConformanceCheckAgainstLlamaCppTest {

    private Path dir;
    private LlamaCppReference llama;
    private LlamaCppReference.Model reference;
    private LlamaCppReference.Model again;
    private int[] prompt;

    @BeforeAll
    void start(@TempDir Path tempDir) throws IOException {
        dir = tempDir;
        llama = LlamaCppReference.start();
        ModelSpec spec = ModelSpec.of(Arch.QWEN2).withVocab(515).withSeed(11);
        Path file = RandomModels.write(spec, dir.resolve(spec.name() + ".gguf"));
        reference = llama.load(file);
        again = llama.load(file).withFullLogits(); // a second copy, answering with every logit like an engine
        prompt = ConformanceCheck.randomIds(0, spec.vocabSize(), 6, 11);
    }

    @AfterAll
    void stop() {
        if (llama != null) {
            llama.close();
        }
    }

    @Test
    void itself_passesF32GreedyAndQuantizedTeacherForcing() {
        ConformanceCheck.greedy(reference, again, prompt, ConformanceCheck.F32).assertPassed();
        int[] ids = ConformanceCheck.teacherForcingIds(reference, prompt, ConformanceCheck.TEACHER_FORCED_IDS);
        assertEquals(ConformanceCheck.TEACHER_FORCED_IDS, ids.length);
        var r = ConformanceCheck.teacherForced(reference, again, ids, ConformanceCheck.QUANTIZED).assertPassed();
        assertEquals(64, r.positions());
        assertTrue(r.report().contains("llama.cpp"), r.report());
    }

    @Test
    void check_appliesTheCriteriaOfTheWeightType() {
        var f32 = ConformanceCheck.check(reference, again, prompt, TensorType.F32).assertPassed();
        assertTrue(f32.report().startsWith("greedy, 32 steps"), f32.report());
        assertEquals(ConformanceCheck.F32, f32.criteria());
        var q8 = ConformanceCheck.check(reference, again, prompt, TensorType.Q8_0).assertPassed();
        assertTrue(q8.report().startsWith("teacher-forced on 64 ids"), q8.report());
        assertEquals(ConformanceCheck.QUANTIZED, ConformanceCheck.criteriaFor(TensorType.BF16));
    }

    @Test
    void shiftedLogits_failF32ButPassQuantized() {
        LogitsSource shifted = new PerturbedSource(again, (p, l) -> {
            for (int i = 0; i < l.length; i++) {
                l[i] += 0.02f;
            }
        }, "every logit + 0.02");
        var f32 = ConformanceCheck.greedy(reference, shifted, prompt, 16, ConformanceCheck.F32);
        assertFalse(f32.passed(), f32.report());
        assertEquals(-1, f32.firstDivergence(), "a constant shift keeps the greedy ids");
        int[] ids = ConformanceCheck.randomIds(0, 515, ConformanceCheck.TEACHER_FORCED_IDS, 12);
        ConformanceCheck.teacherForced(reference, shifted, ids, ConformanceCheck.QUANTIZED).assertPassed();
    }

    @Test
    void changedArgmax_failsBoth() {
        LogitsSource swapped = new PerturbedSource(again, (p, l) -> {
            if (p % 8 == 7) {
                ConformanceCheckTest.swapTop2(l);
            }
        }, "top two swapped at every 8th position");
        var f32 = ConformanceCheck.greedy(reference, swapped, prompt, 8, ConformanceCheck.F32);
        assertFalse(f32.passed(), f32.report());
        assertTrue(f32.firstDivergence() >= 0, f32.report());
        int[] ids = ConformanceCheck.randomIds(0, 515, ConformanceCheck.TEACHER_FORCED_IDS, 13);
        var q = ConformanceCheck.teacherForced(reference, swapped, ids, ConformanceCheck.QUANTIZED);
        assertFalse(q.passed(), q.report());
        assertEquals(56, q.top1Agreements(), q.report());
    }

    @Test
    void anotherModel_failsBoth() throws IOException {
        ModelSpec other = ModelSpec.of(Arch.QWEN2).withVocab(515).withSeed(12);
        try (var m = llama.load(RandomModels.write(other, dir.resolve(other.name() + ".gguf")))) {
            assertFalse(ConformanceCheck.greedy(reference, m.withFullLogits(), prompt, ConformanceCheck.F32).passed());
            int[] ids = ConformanceCheck.randomIds(0, 515, ConformanceCheck.TEACHER_FORCED_IDS, 14);
            assertFalse(ConformanceCheck.teacherForced(reference, m.withFullLogits(), ids, ConformanceCheck.QUANTIZED)
                    .passed());
        }
    }

    @Test
    void quantizedTwin_isCloseButNotIdentical() throws IOException {
        // the Q8_0 file of the same seed: what quantization alone changes, as llama.cpp computes it
        ModelSpec q8 = ModelSpec.of(Arch.QWEN2).withVocab(515).withSeed(11).withType(TensorType.Q8_0);
        try (var m = llama.load(RandomModels.write(q8, dir.resolve(q8.name() + ".gguf")))) {
            int[] ids = ConformanceCheck.randomIds(0, 515, ConformanceCheck.TEACHER_FORCED_IDS, 15);
            var r = ConformanceCheck.teacherForced(reference, m.withFullLogits(), ids, ConformanceCheck.QUANTIZED);
            assertTrue(r.maxAbsDelta() > 1e-3 && r.maxAbsDelta() < 1, r.report());
            assertTrue(r.top1Agreement() > 0.8, r.report());
        }
    }
}
