package dev.petrel.engine;

import dev.petrel.api.engine.LoadOptions;
import dev.petrel.api.engine.Model;
import dev.petrel.api.engine.Session;
import dev.petrel.api.weights.TensorType;
import dev.petrel.conformance.Arch;
import dev.petrel.conformance.ModelSpec;
import dev.petrel.conformance.RandomModels;
import dev.petrel.kernels.java.VectorKernelBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.SplittableRandom;

/**
 * A benchmark, not a test (scripts/bench-moe runs it): decode speed of a Mixtral-style MoE
 * model next to a dense llama with the same total parameters, on the Vector API backend. The
 * two differ only in the feed-forward: 8 experts of width F with 2 used per token against one
 * dense network of width 8F. A MoE that reads only its chosen experts decodes faster by about
 * the ratio of the active weights; the table prints both ratios.
 *
 * <pre>MoeBenchmark DIR [--threads N] [--type Q8_0] [--tg 64] [--repetitions 3]</pre>
 *
 * Writes the two random-weight models into DIR once (their names say their shape) and prints
 * one line per model, then the ratios; the model paths go to the last line for peers.
 */
public final class MoeBenchmark {

    /** dim 1024, 8 layers, 16 heads of 64 over 4 KV heads; experts 8 x 1536, 2 used. */
    static ModelSpec moe(TensorType type) {
        return ModelSpec.of(Arch.LLAMA).withShape(1024, 8, 16, 4, 64, 1536).withVocab(4096).withType(type)
                .withExperts(new ModelSpec.Experts(8, 2, 1536, 0));
    }

    /** The same blocks with one dense network of 8 x 1536: the same total parameters. */
    static ModelSpec dense(TensorType type) {
        return ModelSpec.of(Arch.LLAMA).withShape(1024, 8, 16, 4, 64, 8 * 1536).withVocab(4096).withType(type);
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: MoeBenchmark DIR [--threads N] [--type Q8_0] [--tg 64] [--repetitions 3]");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        int threads = Runtime.getRuntime().availableProcessors();
        TensorType type = TensorType.Q8_0;
        int tg = 64;
        int repetitions = 3;
        for (int i = 1; i < args.length; i += 2) {
            switch (args[i]) {
                case "--threads" -> threads = Integer.parseInt(args[i + 1]);
                case "--type" -> type = TensorType.valueOf(args[i + 1]);
                case "--tg" -> tg = Integer.parseInt(args[i + 1]);
                case "--repetitions" -> repetitions = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        Files.createDirectories(dir);
        Path moeFile = write(moe(type), dir);
        Path denseFile = write(dense(type), dir);

        Result m = measure(moeFile, threads, tg, repetitions);
        Result d = measure(denseFile, threads, tg, repetitions);
        System.out.printf("%-58s %10s %12s %10s%n", "model", "total MB", "active MB/t", "tg tok/s");
        for (Result r : new Result[] {m, d}) {
            System.out.printf("%-58s %10.1f %12.1f %10.2f%n", r.file.getFileName(), r.total / 1e6, r.active / 1e6,
                    r.tokensPerSecond);
        }
        System.out.printf("speed ratio MoE/dense %.2fx; active weight ratio dense/MoE %.2fx"
                + " (threads %d, best of %d runs of %d tokens)%n",
                m.tokensPerSecond / d.tokensPerSecond, d.active / (double) m.active, threads, repetitions, tg);
        System.out.println("files " + moeFile + " " + denseFile);
    }

    record Result(Path file, long total, long active, double tokensPerSecond) {
    }

    private static Path write(ModelSpec spec, Path dir) throws Exception {
        Path file = dir.resolve(spec.name() + ".gguf");
        if (!Files.exists(file)) {
            System.err.println("writing " + file + " ...");
            RandomModels.write(spec, file);
        }
        return file;
    }

    /** Decode speed as the bench command measures it: tg tokens one at a time from an empty session. */
    private static Result measure(Path file, int threads, int tg, int repetitions) throws java.io.IOException {
        VectorKernelBackend backend = VectorKernelBackend.standalone(threads);
        try (Model model = Fixture.engine(backend).load(file, new LoadOptions(0, TensorType.F32, null));
                Session session = model.openSession()) {
            SplittableRandom random = new SplittableRandom(7);
            double best = 0;
            for (int r = -1; r < repetitions; r++) {   // r = -1 warms the JIT up
                session.reset();
                long start = System.nanoTime();
                for (int i = 0; i < tg; i++) {
                    session.process(new int[] {random.nextInt(model.vocabularySize())});
                }
                double rate = tg * 1e9 / (System.nanoTime() - start);
                best = r < 0 ? 0 : Math.max(best, rate);
            }
            return new Result(file, model.weightBytes(), model.activeWeightBytesPerToken(), best);
        } finally {
            backend.shutdown(Duration.ofSeconds(1));
        }
    }
}
