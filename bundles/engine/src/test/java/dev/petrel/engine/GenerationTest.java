package dev.petrel.engine;

import static dev.petrel.engine.Fixture.F32_CACHE;
import static dev.petrel.engine.Fixture.argmax;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.petrel.api.engine.GenerationRequest;
import dev.petrel.api.engine.GenerationResult;
import dev.petrel.api.engine.GenerationResult.StopReason;
import dev.petrel.api.engine.LoadOptions;
import dev.petrel.api.engine.Model;
import dev.petrel.api.engine.SamplerSettings;
import dev.petrel.api.engine.Session;
import dev.petrel.api.kernel.KernelBackend;
import dev.petrel.api.weights.TensorType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Generation on a small random llama: greedy decoding, streaming, stop conditions, sessions. */
class GenerationTest {

    private static final int[] PROMPT = {TinyModel.BOS, 84, 104, 101, 32};

    @TempDir
    static Path dir;
    private static KernelBackend backend;
    private static PetrelEngine engine;
    private static Model model;

    @BeforeAll
    static void load() throws Exception {
        // the scalar backend warms up fastest; both backends are compared in ForwardPassTest
        backend = Fixture.backend("java-scalar");
        engine = Fixture.engine(backend);
        model = engine.load(TinyModel.llama().write(dir), F32_CACHE);
    }

    @AfterAll
    static void close() {
        model.close();
        Fixture.shutdown(backend);
    }

    private static GenerationRequest greedy(int[] prompt, int maxTokens, String... stops) {
        return new GenerationRequest(prompt, SamplerSettings.GREEDY, maxTokens, List.of(stops), true);
    }

    /** Greedy ids computed step by step with process(), the plainest way. */
    private static int[] greedyByHand(int[] prompt, int count) {
        try (Session s = model.openSession()) {
            int[] out = new int[count];
            float[] logits = s.process(prompt);
            for (int i = 0; i < count; i++) {
                out[i] = argmax(logits);
                logits = s.process(new int[] {out[i]});
            }
            return out;
        }
    }

    private record Streamed(GenerationResult result, List<Integer> ids, String text) {
    }

    private static Streamed stream(Session s, GenerationRequest request) {
        List<Integer> ids = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        GenerationResult result = s.generate(request, (id, piece) -> {
            ids.add(id);
            text.append(piece);
            return true;
        });
        return new Streamed(result, ids, text.toString());
    }

    @Test
    void generate_greedy_producesTheArgmaxChainAndStreamsEveryToken() {
        try (Session s = model.openSession()) {
            Streamed run = stream(s, greedy(PROMPT, 20));
            assertArrayEquals(greedyByHand(PROMPT, 20), run.result().ids());
            assertEquals(StopReason.MAX_TOKENS, run.result().stopReason());
            assertEquals(Arrays.stream(run.result().ids()).boxed().toList(), run.ids());
            assertEquals(run.result().text(), run.text());
            assertEquals(model.tokenizer().decode(run.result().ids()), run.result().text());
            assertEquals(PROMPT.length + 20, s.position());
            assertEquals(PROMPT.length, run.result().timings().promptTokens());
            assertEquals(20, run.result().timings().generatedTokens());
        }
    }

    @Test
    void generate_again_continuesTheSequence() {
        try (Session s = model.openSession()) {
            int[] first = s.generate(greedy(PROMPT, 7)).ids();
            int[] second = s.generate(greedy(new int[0], 5)).ids();
            int[] joined = new int[12];
            System.arraycopy(first, 0, joined, 0, 7);
            System.arraycopy(second, 0, joined, 7, 5);
            assertArrayEquals(greedyByHand(PROMPT, 12), joined);
        }
    }

    @Test
    void stopString_endsGenerationAndIsNotEmitted() {
        String full;
        try (Session s = model.openSession()) {
            full = s.generate(greedy(PROMPT, 30)).text();
        }
        assertTrue(full.length() > 12, full);
        String stop = full.substring(6, 9);
        String before = full.substring(0, full.indexOf(stop));
        try (Session s = model.openSession()) {
            Streamed run = stream(s, greedy(PROMPT, 30, "never appears \u0000", stop));
            assertEquals(StopReason.STOP_STRING, run.result().stopReason());
            assertEquals(before, run.result().text());
            assertEquals(before, run.text());
            assertFalse(run.text().contains(stop));
        }
    }

    @Test
    void endOfGeneration_stopsUnlessIgnored() throws Exception {
        int[] chain = greedyByHand(PROMPT, 6);
        int end = chain[3];
        int stopsAt = Arrays.stream(chain).boxed().toList().indexOf(end);
        TinyModel m = TinyModel.llama().meta(w -> w.putUint32("tokenizer.ggml.eos_token_id", end));
        try (Model withEnd = engine.load(m.write(dir, "eos.gguf"), F32_CACHE); Session s = withEnd.openSession()) {
            GenerationResult r = s.generate(new GenerationRequest(PROMPT, SamplerSettings.GREEDY, 6, List.of(), false));
            assertEquals(StopReason.END_OF_GENERATION, r.stopReason());
            assertArrayEquals(Arrays.copyOf(chain, stopsAt + 1), r.ids());
            s.reset();
            assertArrayEquals(chain, s.generate(greedy(PROMPT, 6)).ids());
        }
    }

    @Test
    void fullContext_endsGeneration() throws Exception {
        try (Model small = engine.load(dir.resolve("llama.gguf"), new LoadOptions(12, TensorType.F32, null));
                Session s = small.openSession()) {
            assertEquals(12, small.contextLength());
            GenerationResult r = s.generate(greedy(PROMPT, -1));
            assertEquals(StopReason.CONTEXT_FULL, r.stopReason());
            assertEquals(12 - PROMPT.length, r.ids().length);
            assertArrayEquals(greedyByHand(PROMPT, 7), r.ids());
        }
    }

    @Test
    void listener_returningFalse_cancels() {
        try (Session s = model.openSession()) {
            int[] seen = {0};
            GenerationResult r = s.generate(greedy(PROMPT, 20), (id, piece) -> ++seen[0] < 3);
            assertEquals(StopReason.CANCELLED, r.stopReason());
            assertEquals(3, r.ids().length);
        }
    }

    @Test
    void seed_makesSampledGenerationRepeatable() {
        SamplerSettings settings = new SamplerSettings(1.2f, 0, 1f, 0f, 1.1f, 0.1f, 0.1f, 16, 11);
        int[][] runs = new int[3][];
        for (int i = 0; i < 3; i++) {
            try (Session s = model.openSession()) {
                SamplerSettings seeded = i < 2 ? settings : settings.withSeed(12);
                runs[i] = s.generate(new GenerationRequest(PROMPT, seeded, 24, List.of(), true)).ids();
            }
        }
        assertArrayEquals(runs[0], runs[1]);
        assertFalse(Arrays.equals(runs[0], runs[2]));
    }

    @Test
    void sessions_runConcurrentlyOnOneModel() throws Exception {
        int[][] prompts = {PROMPT, {TinyModel.BOS, 65}, {TinyModel.BOS, 200, 201, 202}, {97, 98, 99}};
        int[][] expected = new int[prompts.length][];
        for (int i = 0; i < prompts.length; i++) {
            expected[i] = greedyByHand(prompts[i], 16);
        }
        ExecutorService pool = Executors.newFixedThreadPool(prompts.length);
        try {
            List<Future<int[]>> runs = new ArrayList<>();
            for (int[] prompt : prompts) {
                runs.add(pool.submit(() -> {
                    try (Session s = model.openSession()) {
                        return s.generate(greedy(prompt, 16)).ids();
                    }
                }));
            }
            for (int i = 0; i < prompts.length; i++) {
                assertArrayEquals(expected[i], runs.get(i).get());
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void truncate_forgetsTheEndAndRecomputesIt() {
        try (Session s = model.openSession()) {
            float[] before = s.process(PROMPT);
            s.process(new int[] {1, 2, 3});
            s.truncate(PROMPT.length - 1);
            float[] again = s.process(new int[] {PROMPT[PROMPT.length - 1]});
            Fixture.assertClose(before, again, 1e-5f, "after truncate");
            assertArrayEquals(PROMPT, s.tokens());
        }
    }

    @Test
    void swapToAnotherBackend_betweenTokens_keepsTheGreedyTokens() throws Exception {
        KernelBackend scalar = Fixture.backend("java-scalar");
        KernelBackend vector = Fixture.backend("java");
        try {
            PetrelEngine swapping = Fixture.engine(scalar);
            try (Model m = swapping.load(dir.resolve("llama.gguf"), F32_CACHE); Session s = m.openSession()) {
                int[] first = s.generate(greedy(PROMPT, 6)).ids();
                swapping.bindBackend(vector);
                swapping.removeBackend(scalar);
                assertEquals("java", m.backend());
                int[] second = s.generate(greedy(new int[0], 6)).ids();
                int[] joined = new int[12];
                System.arraycopy(first, 0, joined, 0, 6);
                System.arraycopy(second, 0, joined, 6, 6);
                assertArrayEquals(greedyByHand(PROMPT, 12), joined);
            }
            assertEquals(0, scalar.allocatedBytes(dev.petrel.api.kernel.BufferUsage.CACHE));
        } finally {
            Fixture.shutdown(scalar);
            Fixture.shutdown(vector);
        }
    }

    @Test
    void backendGoneBeforeTheSessionMoved_recomputesTheCacheOnTheNewOne() throws Exception {
        KernelBackend first = Fixture.backend("java-scalar");
        KernelBackend second = Fixture.backend("java-scalar");
        try {
            PetrelEngine swapping = Fixture.engine(first);
            try (Model m = swapping.load(dir.resolve("llama.gguf"), F32_CACHE); Session s = m.openSession()) {
                int[] before = s.generate(greedy(PROMPT, 5)).ids();
                swapping.bindBackend(second);
                Fixture.shutdown(first);          // gone before the session could take its cache along
                swapping.removeBackend(first);
                int[] after = s.generate(greedy(new int[0], 5)).ids();
                int[] joined = new int[10];
                System.arraycopy(before, 0, joined, 0, 5);
                System.arraycopy(after, 0, joined, 5, 5);
                assertArrayEquals(greedyByHand(PROMPT, 10), joined);
            }
        } finally {
            Fixture.shutdown(second);
        }
    }

    @Test
    void backendLeavingDuringAGeneration_waitsForTheRequestAndTheCacheMoves() throws Exception {
        HostBackendPair pair = new HostBackendPair(Fixture.backend("java-scalar"), Fixture.backend("java-scalar"));
        try {
            PetrelEngine swapping = Fixture.engine(pair.first());
            try (Model m = swapping.load(dir.resolve("llama.gguf"), F32_CACHE); Session s = m.openSession()) {
                java.util.concurrent.CountDownLatch bound = new java.util.concurrent.CountDownLatch(1);
                long[] drainMillis = {-1};
                int[] leasesWhileGenerating = {-1};
                Thread swapper = new Thread(() -> {
                    swapping.bindBackend(pair.second());   // as SCR: the replacement first
                    bound.countDown();
                    swapping.removeBackend(pair.first());
                    long start = System.nanoTime();
                    ((dev.petrel.kernels.java.HostBackend) pair.first()).shutdown(java.time.Duration.ofSeconds(20));
                    drainMillis[0] = (System.nanoTime() - start) / 1_000_000;
                });
                int[] ids = s.generate(greedy(PROMPT, 10), (id, piece) -> {
                    if (swapper.getState() == Thread.State.NEW) {
                        leasesWhileGenerating[0] = pair.first().openLeases();
                        swapper.start();
                        try {
                            bound.await();
                        } catch (InterruptedException e) {
                            throw new IllegalStateException(e);
                        }
                    }
                    return true;
                }).ids();
                swapper.join();
                assertEquals(1, leasesWhileGenerating[0], "the request holds a lease on its backend");
                assertArrayEquals(greedyByHand(PROMPT, 10), ids);
                assertEquals(1, ((EngineSession) s).moves());
                assertEquals(0, ((EngineSession) s).lostCaches(), "the cache moved before the backend freed it");
                assertTrue(drainMillis[0] >= 0 && drainMillis[0] < 10_000, "drained in " + drainMillis[0] + " ms");
                assertEquals(0, pair.first().openLeases());
                assertEquals("java-scalar", m.backend());
                assertTrue(pair.second().openLeases() == 0, "the request's lease ended with it");
            }
        } finally {
            Fixture.shutdown(pair.first());
            Fixture.shutdown(pair.second());
        }
    }

    private record HostBackendPair(KernelBackend first, KernelBackend second) {
    }
}
