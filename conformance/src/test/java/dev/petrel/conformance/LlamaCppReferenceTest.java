package dev.petrel.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.petrel.api.weights.TensorType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The reference itself: the real llama.cpp loads every random model variant and gives sane,
 * deterministic, self-consistent logits. Needs scripts/setup-llama-cpp to have run.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LlamaCppReferenceTest {

    private static final String PROMPT_TEXT = "The storm petrel is a small seabird";

    @TempDir
    Path dir;

    private LlamaCppReference llama;
    private final Map<ModelSpec, LlamaCppReference.Model> models = new HashMap<>();

    @BeforeAll
    void start() {
        llama = LlamaCppReference.start();
    }

    @AfterAll
    void stop() {
        if (llama != null) {
            llama.close();
        }
    }

    static List<ModelSpec> variants() {
        return Variants.ALL;
    }

    private LlamaCppReference.Model model(ModelSpec spec) {
        return models.computeIfAbsent(spec, s -> {
            try {
                return llama.load(RandomModels.write(s, dir.resolve(s.name() + ".gguf")));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    private static int[] prompt(ModelSpec spec) {
        return ConformanceCheck.randomIds(0, spec.vocabSize(), 8, spec.seed());
    }

    @Test
    void start_reportsThePrebuiltCpuBuild() {
        var info = llama.startInfo();
        assertEquals("prebuilt", info.path("buildType").asText(), info.toString());
        assertEquals(LlamaCppReference.NODE_LLAMA_CPP_VERSION, info.path("nodeLlamaCpp").asText(), info.toString());
        assertFalse(info.path("gpu").asBoolean(true), "no GPU: " + info);
        assertFalse(llama.llamaCppRelease().isBlank());
        assertEquals(LlamaCppReference.DEFAULT_THREADS, info.path("threads").asInt());
    }

    @ParameterizedTest
    @MethodSource("variants")
    void load_usesTheExactConfiguration(ModelSpec spec) {
        var info = model(spec).info();
        assertFalse(info.path("flashAttention").asBoolean(true), "flash attention off: " + info);
        assertEquals(LlamaCppReference.DEFAULT_THREADS, info.path("threads").asInt(), info.toString());
        assertTrue(model(spec).contextSize() >= 512, info.toString());
        assertEquals(spec.dim(), info.path("embeddingSize").asInt());
        assertEquals(spec.contextLength(), info.path("trainContextSize").asInt());
        assertTrue(info.path("description").asText().startsWith(spec.arch().ggufName()), info.toString());
    }

    @ParameterizedTest
    @MethodSource("variants")
    void greedy_isNotDegenerate(ModelSpec spec) {
        Generation g = model(spec).greedy(prompt(spec), 32);
        assertEquals(32, g.length());
        long distinct = Arrays.stream(g.ids()).distinct().count();
        assertTrue(distinct >= 3, spec.name() + ": 32 greedy ids with only " + distinct + " distinct: "
                + Arrays.toString(g.ids()));
        for (int id : g.ids()) {
            assertTrue(id >= 0 && id < spec.vocabSize(), "id " + id);
        }
    }

    @ParameterizedTest
    @MethodSource("variants")
    void teacherForced_isFiniteAndDeterministic(ModelSpec spec) {
        var full = model(spec).withFullLogits();
        int[] ids = ConformanceCheck.randomIds(0, spec.vocabSize(), 24, 99);
        List<Distribution> first = full.teacherForced(ids);
        List<Distribution> second = full.teacherForced(ids);
        assertEquals(ids.length, first.size());
        for (int p = 0; p < ids.length; p++) {
            float[] a = first.get(p).all();
            assertEquals(spec.vocabSize(), a.length, "a logit per token");
            for (float v : a) {
                assertTrue(Float.isFinite(v), "finite logits at position " + p);
            }
            assertArrayEquals(a, second.get(p).all(), "same logits on the second call, position " + p);
        }
        // the positions see different contexts
        assertFalse(Arrays.equals(first.get(0).all(), first.get(1).all()));
    }

    @ParameterizedTest
    @MethodSource("variants")
    void topK_isOrderedAndAgreesWithTheFullLogits(ModelSpec spec) {
        int[] ids = ConformanceCheck.randomIds(0, spec.vocabSize(), 12, 5);
        List<Distribution> top = model(spec).withTopK(20).teacherForced(ids);
        List<Distribution> full = model(spec).withFullLogits().teacherForced(ids);
        for (int p = 0; p < ids.length; p++) {
            Distribution t = top.get(p);
            Distribution f = full.get(p);
            assertEquals(20, t.topCount());
            for (int i = 1; i < t.topCount(); i++) {
                assertTrue(t.topLogit(i - 1) >= t.topLogit(i), "descending at position " + p);
            }
            assertEquals(t.topId(0), t.token(), "llama.cpp's greedy choice is the highest logit");
            Distribution sorted = Distribution.ofLogits(f.all(), 20);
            assertArrayEquals(sorted.topIds(), t.topIds(), "top 20 of the full logits, position " + p);
            assertArrayEquals(sorted.topLogits(), t.topLogits(), "position " + p);
            assertEquals(f.token(), t.token());
        }
    }

    /**
     * One token at a time (greedy) and a batch (teacher forcing) agree: to float summation
     * order for F32 (about 2e-6 seen), exactly for Q8_0 and Q4_0, and more loosely for F16
     * (about 2e-4) and BF16 (about 1e-2 seen on an AVX512-BF16 CPU): llama.cpp's batched
     * F16/BF16 matmul does not round the activations as its one-row path does.
     */
    @ParameterizedTest
    @MethodSource("variants")
    void greedy_agreesWithTeacherForcingOfItsOwnOutput(ModelSpec spec) {
        double tolerance = switch (spec.weightType()) {
            case F16 -> 1e-3;
            case BF16 -> 5e-2;
            default -> 1e-4;
        };
        int[] prompt = prompt(spec);
        Generation g = model(spec).withFullLogits().greedy(prompt, 16);
        int[] all = Arrays.copyOf(prompt, prompt.length + g.length());
        System.arraycopy(g.ids(), 0, all, prompt.length, g.length());
        List<Distribution> tf = model(spec).withFullLogits().teacherForced(all);
        for (int i = 0; i < g.length(); i++) {
            Distribution step = g.steps().get(i);
            Distribution forced = tf.get(prompt.length - 1 + i);
            if (spec.weightType() != TensorType.BF16) {
                assertEquals(g.ids()[i], forced.token(), "step " + i);
            }
            float[] a = step.all();
            float[] b = forced.all();
            for (int id = 0; id < a.length; id++) {
                assertEquals(a[id], b[id], tolerance, "step " + i + ", id " + id);
            }
        }
    }

    @Test
    void greedy_stopsAfterAStopId() {
        ModelSpec spec = Variants.ALL.get(0);
        Generation g = model(spec).greedy(prompt(spec), 32);
        int stop = g.ids()[5];
        int first = Arrays.stream(g.ids()).boxed().toList().indexOf(stop);
        Generation stopped = model(spec).greedy(prompt(spec), 32, new int[] {stop});
        assertArrayEquals(Arrays.copyOf(g.ids(), first + 1), stopped.ids());
    }

    @Test
    void results_doNotDependOnTheThreadCount() {
        ModelSpec spec = Variants.ALL.get(3);
        Path file = dir.resolve(spec.name() + "-threads.gguf");
        int[] ids = ConformanceCheck.randomIds(0, spec.vocabSize(), 16, 3);
        List<Distribution> one = model(spec).withFullLogits().teacherForced(ids);
        try (LlamaCppReference two = LlamaCppReference.start(LlamaCppReference.Options.defaults().withThreads(2));
                LlamaCppReference.Model m = two.load(RandomModels.write(spec, file))) {
            assertEquals(2, m.info().path("threads").asInt());
            List<Distribution> other = m.withFullLogits().teacherForced(ids);
            for (int p = 0; p < ids.length; p++) {
                assertArrayEquals(one.get(p).all(), other.get(p).all(), "position " + p);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void tokenize_roundTripsTextThroughTheRandomVocabulary() {
        for (ModelSpec spec : List.of(Variants.ALL.get(0), Variants.ALL.get(3))) {
            var m = model(spec);
            int[] ids = m.tokenize(PROMPT_TEXT);
            assertTrue(ids.length > 3 && ids.length < PROMPT_TEXT.length(), "merges apply: " + Arrays.toString(ids));
            assertEquals(PROMPT_TEXT, m.detokenize(ids));
            String odd = "naïve café, 42 + 7 = 49\n\tdone";
            assertEquals(odd, m.detokenize(m.tokenize(odd)));
            ByteLevelVocab vocab = RandomModels.generate(spec).vocab();
            assertEquals(ByteLevelVocab.byteLevel("The"), vocab.tokens().get(m.tokenize("The")[0]));
        }
    }

    @Test
    void requests_thatFailLeaveTheReferenceWorking() throws IOException {
        Path missing = dir.resolve("missing.gguf");
        var e = assertThrows(ReferenceException.class, () -> llama.load(missing));
        assertTrue(e.getMessage().contains("load"), e.getMessage());
        Path garbage = Files.write(dir.resolve("garbage.gguf"), new byte[] {'G', 'G', 'U', 'F', 9, 9, 9, 9});
        assertThrows(ReferenceException.class, () -> llama.load(garbage));

        ModelSpec spec = Variants.ALL.get(0);
        var m = model(spec);
        var tooLong = assertThrows(ReferenceException.class, () -> m.greedy(prompt(spec), m.contextSize()));
        assertTrue(tooLong.getMessage().contains("do not fit the context"), tooLong.getMessage());
        assertEquals(4, m.greedy(prompt(spec), 4).length(), "still answering");
    }

    @Test
    void checkInstall_withoutNodeModulesNamesTheSetupScript() throws IOException {
        Path empty = Files.createDirectories(dir.resolve("llama-cpp"));
        Files.writeString(empty.resolve("reference.mjs"), "// placeholder\n");
        var e = assertThrows(ReferenceUnavailableException.class, () -> LlamaCppReference.checkInstall(empty));
        assertTrue(e.getMessage().contains(LlamaCppReference.SETUP_SCRIPT), e.getMessage());
        assertTrue(e.getMessage().contains(empty.toString()), e.getMessage());
        var noScript = assertThrows(ReferenceUnavailableException.class,
                () -> LlamaCppReference.checkInstall(dir.resolve("nowhere")));
        assertTrue(noScript.getMessage().contains("reference.mjs"), noScript.getMessage());
        assertTrue(LlamaCppReference.installed(), "this machine has the reference installed");
    }

    @Test
    void locateNode_configuredButMissingSaysWhichSetting() {
        String before = System.getProperty(LlamaCppReference.NODE_PROPERTY);
        System.setProperty(LlamaCppReference.NODE_PROPERTY, dir.resolve("no-node").toString());
        try {
            var e = assertThrows(ReferenceUnavailableException.class, LlamaCppReference::start);
            assertTrue(e.getMessage().contains(LlamaCppReference.NODE_PROPERTY), e.getMessage());
        } finally {
            if (before == null) {
                System.clearProperty(LlamaCppReference.NODE_PROPERTY);
            } else {
                System.setProperty(LlamaCppReference.NODE_PROPERTY, before);
            }
        }
    }
}
