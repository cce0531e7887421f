package dev.petrel.shell;

import dev.petrel.api.engine.SamplerSettings;
import java.util.Set;

/** The sampling options shared by the commands that generate text. */
final class SamplingOptions {

    /** Options that take a value; see {@link #settings}. */
    static final Set<String> NAMES = Set.of("temperature", "seed", "top-k", "top-p", "min-p", "repeat-penalty",
            "frequency-penalty", "presence-penalty", "penalty-window");

    static final String USAGE = "[--temperature T] [--seed S] [--top-k K] [--top-p P] [--min-p P]"
            + " [--repeat-penalty R] [--frequency-penalty F] [--presence-penalty P] [--penalty-window N]";

    private SamplingOptions() {
    }

    /** llama.cpp's defaults, overridden by the options given. Temperature 0 is greedy. */
    static SamplerSettings settings(CommandArgs args, SamplerSettings defaults) {
        try {
            return new SamplerSettings(
                    floatValue(args, "temperature", defaults.temperature()),
                    args.intValue("top-k", defaults.topK()),
                    floatValue(args, "top-p", defaults.topP()),
                    floatValue(args, "min-p", defaults.minP()),
                    floatValue(args, "repeat-penalty", defaults.repeatPenalty()),
                    floatValue(args, "frequency-penalty", defaults.frequencyPenalty()),
                    floatValue(args, "presence-penalty", defaults.presencePenalty()),
                    args.intValue("penalty-window", defaults.penaltyWindow()),
                    args.value("seed").map(s -> parseLong("seed", s)).orElse(defaults.seed()));
        } catch (IllegalArgumentException e) {
            if (e instanceof CommandArgs.UsageException) {
                throw e;
            }
            throw new CommandArgs.UsageException(e.getMessage());
        }
    }

    private static float floatValue(CommandArgs args, String name, float fallback) {
        return args.value(name).map(v -> {
            try {
                return Float.parseFloat(v.trim());
            } catch (NumberFormatException e) {
                throw new CommandArgs.UsageException("option --" + name + " expects a number, got '" + v + "'");
            }
        }).orElse(fallback);
    }

    private static long parseLong(String name, String v) {
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new CommandArgs.UsageException("option --" + name + " expects an integer, got '" + v + "'");
        }
    }
}
