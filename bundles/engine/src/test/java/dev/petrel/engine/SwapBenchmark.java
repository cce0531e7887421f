package dev.petrel.engine;

import dev.petrel.api.engine.GenerationRequest;
import dev.petrel.api.engine.LoadOptions;
import dev.petrel.api.engine.Model;
import dev.petrel.api.engine.SamplerSettings;
import dev.petrel.api.engine.Session;
import dev.petrel.api.kernel.BufferUsage;
import dev.petrel.api.kernel.KernelBackend;
import dev.petrel.attention.GqaAttention;
import dev.petrel.engine.arch.LlamaArchitecture;
import dev.petrel.engine.arch.Qwen2Architecture;
import dev.petrel.engine.arch.Qwen3Architecture;
import dev.petrel.experts.MixtureOfExperts;
import dev.petrel.experts.SwiGluFeedForward;
import dev.petrel.kernels.java.HostBackend;
import dev.petrel.kernels.java.VectorKernelBackend;
import dev.petrel.loader.gguf.provider.GgufWeightSourceProvider;
import dev.petrel.tokenizer.PetrelTokenizerFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * The pause a backend swap puts into generation, not a test. One session decodes greedily
 * after a prompt while the engine is given another Vector API backend a few tokens after the
 * previous swap (the bind and unbind SCR makes when a higher-ranked backend arrives or the
 * bound one leaves), from another thread, as SCR would. Printed per swap:
 * <ul>
 *   <li>placement: the time to place the weights on the new backend (the engine's bind); the
 *       session keeps generating on the old backend meanwhile;</li>
 *   <li>pause: the time the session stood still at its token boundary to follow (its KV cache
 *       copied, a stream opened, its lease moved);</li>
 *   <li>the interval of the token that carried the move, next to the median interval.</li>
 * </ul>
 *
 * <p>Run: {@code scripts/bench-swap [MODEL.gguf] [--threads N] [--prompt N] [--tokens N] [--swaps N]}.
 */
public final class SwapBenchmark {

    private SwapBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: SwapBenchmark MODEL.gguf [--threads 2] [--prompt 256] [--tokens 48] [--swaps 4]");
            System.exit(2);
        }
        Path file = Path.of(args[0]);
        int threads = option(args, "--threads", 2);
        int prompt = option(args, "--prompt", 256);
        int tokens = option(args, "--tokens", 48);
        int swapCount = option(args, "--swaps", 4);

        HostBackend[] backends = {VectorKernelBackend.standalone(threads), VectorKernelBackend.standalone(threads)};
        PetrelEngine engine = engine(backends[0]);
        long loadStart = System.nanoTime();
        try (Model model = engine.load(file, new LoadOptions(prompt + tokens + 8, LoadOptions.DEFAULTS.cacheType(), null));
                Session session = model.openSession()) {
            double loadMs = (System.nanoTime() - loadStart) / 1e6;
            EngineSession s = (EngineSession) session;
            int[] ids = new Random(42).ints(prompt, 0, model.vocabularySize()).toArray();
            System.out.printf(Locale.ROOT, "model: %s, %.2f GiB of weights, loaded in %.0f ms; prompt %d tokens, "
                    + "%d threads per backend%n", file, model.weightBytes() / (double) (1L << 30), loadMs, prompt, threads);

            long[] interval = new long[tokens];
            boolean[] moved = new boolean[tokens];
            List<double[]> swaps = new ArrayList<>();   // placement ms, pause ms, interval ms, token
            Thread[] swapper = new Thread[1];
            double[] placement = new double[1];
            int[] state = {0, 0, 0, 8};   // tokens seen, bound backend, moves seen, next swap at
            long[] last = {0, s.moveNanos()};
            GenerationRequest request = new GenerationRequest(ids, SamplerSettings.GREEDY, tokens, List.of(), true);
            session.generate(request, (id, piece) -> {
                long now = System.nanoTime();
                int t = state[0]++;
                interval[t] = t == 0 ? 0 : now - last[0];
                last[0] = now;
                if (s.moves() > state[2]) {     // this token's step carried a move
                    state[2] = s.moves();
                    moved[t] = true;
                    join(swapper[0]);
                    swapper[0] = null;
                    swaps.add(new double[] {placement[0], (s.moveNanos() - last[1]) / 1e6, interval[t] / 1e6, t});
                    last[1] = s.moveNanos();
                    state[3] = t + 4;   // a few steady tokens before the next swap
                }
                if (t >= state[3] && swapper[0] == null && swaps.size() < swapCount) {
                    KernelBackend from = backends[state[1]];
                    KernelBackend to = backends[1 - state[1]];
                    state[1] = 1 - state[1];
                    swapper[0] = new Thread(() -> {
                        long start = System.nanoTime();
                        engine.bindBackend(to);
                        placement[0] = (System.nanoTime() - start) / 1e6;
                        engine.removeBackend(from);
                    }, "swap");
                    swapper[0].start();
                }
                return true;
            });
            join(swapper[0]);
            int current = state[1];
            interval[0] = interval.length > 1 ? interval[1] : 0;
            long[] steady = new long[tokens];
            int n = 0;
            for (int t = 0; t < tokens; t++) {
                if (!moved[t]) {
                    steady[n++] = interval[t];
                }
            }
            Arrays.sort(steady, 0, n);
            double median = n == 0 ? Double.NaN : steady[n / 2] / 1e6;
            System.out.printf(Locale.ROOT, "%-6s %8s %12s %10s %14s %14s%n", "swap", "token", "placement", "pause",
                    "token interval", "median interval");
            double pauseSum = 0;
            for (int i = 0; i < swaps.size(); i++) {
                double[] w = swaps.get(i);
                pauseSum += w[1];
                System.out.printf(Locale.ROOT, "%-6d %8d %9.0f ms %7.2f ms %11.1f ms %11.1f ms%n", i + 1, (int) w[3], w[0],
                        w[1], w[2], median);
            }
            System.out.printf(Locale.ROOT, "mean pause %.2f ms over %d swaps; decode %.2f tokens/s between swaps; "
                    + "KV cache moved per swap: %d positions%n", swaps.isEmpty() ? Double.NaN : pauseSum / swaps.size(),
                    swaps.size(), 1000 / median, prompt + tokens / 2);
            System.out.printf(Locale.ROOT, "weights held now: %.2f GiB on the bound backend, %.2f GiB on the other%n",
                    backends[current].allocatedBytes(BufferUsage.WEIGHTS) / (double) (1L << 30),
                    backends[1 - current].allocatedBytes(BufferUsage.WEIGHTS) / (double) (1L << 30));
        } finally {
            for (HostBackend b : backends) {
                b.shutdown(Duration.ofSeconds(1));
            }
        }
    }

    /** The engine wired by hand, as Declarative Services wires it. */
    private static PetrelEngine engine(KernelBackend backend) {
        PetrelEngine engine = new PetrelEngine();
        GqaAttention gqa = new GqaAttention();
        SwiGluFeedForward ffn = new SwiGluFeedForward();
        engine.addProvider(new GgufWeightSourceProvider());
        engine.addArchitecture(new LlamaArchitecture(gqa, ffn, new MixtureOfExperts()), Map.of("arch", "llama"));
        engine.addArchitecture(new Qwen2Architecture(gqa, ffn), Map.of("arch", "qwen2"));
        engine.addArchitecture(new Qwen3Architecture(gqa, ffn), Map.of("arch", "qwen3"));
        engine.setTokenizers(new PetrelTokenizerFactory());
        engine.bindBackend(backend);
        return engine;
    }

    private static void join(Thread thread) {
        if (thread != null) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static int option(String[] args, String name, int fallback) {
        for (int i = 1; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return Integer.parseInt(args[i + 1]);
            }
        }
        return fallback;
    }
}
