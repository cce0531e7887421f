package dev.petrel.shell;

import dev.petrel.api.engine.LoadOptions;
import dev.petrel.api.engine.Model;
import dev.petrel.api.engine.Session;
import java.io.IOException;
import java.util.Random;
import java.util.Set;
import java.util.function.IntSupplier;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code petrel:bench --model FILE [--pp N] [--tg N] [--repetitions N] [--json]}: prompt
 * processing (pp: N random tokens as one batch) and generation (tg: N tokens one at a
 * time) speed, measured as llama.cpp's llama-bench does, so that the two can be compared
 * on the same file (scripts/bench-vs-llama-cpp): after an uncounted warm-up round, the mean
 * and spread of the repetitions.
 */
@Component(service = BenchCommand.class, property = {
    "osgi.command.scope=petrel",
    "osgi.command.function=bench"
})
public class BenchCommand {

    static final String USAGE = "usage: bench --model FILE [--pp 256] [--tg 64] [--repetitions 3] [--attention NAME] [--threads N] [--json]";

    @Reference
    ModelLoader loader;

    @Descriptor("prompt and generation speed: bench --model FILE [--pp 256] [--tg 64] [--repetitions 3] [--attention NAME] [--threads N] [--json]")
    public String bench(@Descriptor("options") String... argv) throws IOException {
        CommandArgs args = CommandArgs.parse("bench", argv, Set.of("model", "pp", "tg", "repetitions", "threads", "attention"), Set.of("json"));
        if (!args.positional().isEmpty()) {
            throw new CommandArgs.UsageException(USAGE);
        }
        int pp = args.intValue("pp", 256);
        int tg = args.intValue("tg", 64);
        int repetitions = args.intValue("repetitions", 3);
        if (pp < 1 || tg < 1 || repetitions < 1) {
            throw new CommandArgs.UsageException("bench: --pp, --tg and --repetitions must be at least 1");
        }
        LoadOptions load = new LoadOptions(pp + tg + 1, LoadOptions.DEFAULTS.cacheType(),
                args.value("attention").orElse(null));
        try (Model model = loader.load(args.require("model"), args, load);
                Session session = model.openSession()) {
            Random random = new Random(42);
            IntSupplier token = () -> random.nextInt(model.vocabularySize());
            // Warm-up, not counted: one whole round (a prompt batch, then the generated tokens), as
            // llama-bench warms up with a whole prompt batch. Here it also lets the JIT compile the
            // prompt and the one-token kernels, which it does only while they first run; its time
            // is reported apart.
            long warmUpStart = System.nanoTime();
            measure(session, token, pp, pp);
            measure(session, token, tg, 1);
            double warmUpSeconds = (System.nanoTime() - warmUpStart) / 1e9;
            Stats ppStats = new Stats();
            Stats tgStats = new Stats();
            for (int r = 0; r < repetitions; r++) {
                ppStats.add(measure(session, token, pp, pp));
                tgStats.add(measure(session, token, tg, 1));
            }
            CacheFigures cache = CacheFigures.of(model.config(), load.cacheType());
            if (args.flag("json")) {
                return new Json().field("model", model.location()).field("backend", model.backend())
                        .field("pp_tokens", pp).field("tg_tokens", tg)
                        .field("pp_tokens_per_s", ppStats.mean()).field("tg_tokens_per_s", tgStats.mean())
                        .field("warm_up_s", warmUpSeconds)
                        .field("kv_cache_type", cache.type().name())
                        .field("kv_cache_bytes_per_token", cache.bytesPerToken())
                        .field("kv_cache_mha_equivalent_bytes_per_token", cache.mhaEquivalentBytesPerToken())
                        .toString();
            }
            return String.format("model:   %s (%s, %.2f GiB of weights)%nbackend: %s%nkv cache: %s%n%n"
                    + "%-8s %10s %12s%n%-8s %10.2f %12.2f%n%-8s %10.2f %12.2f%n%nwarm-up (one round, not counted): %.1f s",
                    model.location(), model.architecture(), model.weightBytes() / (double) (1L << 30), model.backend(),
                    cache.describe(model.config().attention()),
                    "test", "tokens/s", "± stddev",
                    "pp" + pp, ppStats.mean(), ppStats.stddev(),
                    "tg" + tg, tgStats.mean(), tgStats.stddev(), warmUpSeconds);
        }
    }

    /** Tokens per second of {@code count} tokens fed {@code batch} at a time from an empty session. */
    private static double measure(Session session, IntSupplier token, int count, int batch) {
        session.reset();
        long start = System.nanoTime();
        for (int done = 0; done < count; done += batch) {
            int[] ids = new int[Math.min(batch, count - done)];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = token.getAsInt();
            }
            session.process(ids);
        }
        return count * 1e9 / (System.nanoTime() - start);
    }

    private static final class Stats {
        private double sum;
        private double sumOfSquares;
        private int n;

        void add(double value) {
            sum += value;
            sumOfSquares += value * value;
            n++;
        }

        double mean() {
            return sum / n;
        }

        double stddev() {
            return n < 2 ? 0 : Math.sqrt(Math.max(0, (sumOfSquares - sum * sum / n) / (n - 1)));
        }
    }
}
