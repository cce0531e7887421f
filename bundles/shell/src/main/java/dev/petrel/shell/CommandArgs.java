package dev.petrel.shell;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Options of one console command, parsed the same way whether they come from the Gogo
 * console or from the {@code ./petrel} script: {@code --name value}, {@code --name=value},
 * boolean {@code --flag}, and positional arguments. {@code --} ends the options.
 */
final class CommandArgs {

    private final String command;
    private final Map<String, List<String>> values = new HashMap<>();
    private final Set<String> flags = new HashSet<>();
    private final List<String> positional = new ArrayList<>();

    private CommandArgs(String command) {
        this.command = command;
    }

    /**
     * @param valued options that take a value (without the leading dashes)
     * @param booleans options that are plain switches
     * @throws UsageException on an unknown option or a missing value
     */
    static CommandArgs parse(String command, String[] argv, Set<String> valued, Set<String> booleans) {
        CommandArgs args = new CommandArgs(command);
        boolean optionsEnded = false;
        for (int i = 0; i < argv.length; i++) {
            String arg = argv[i];
            if (optionsEnded || !arg.startsWith("--")) {
                args.positional.add(arg);
                continue;
            }
            if (arg.equals("--")) {
                optionsEnded = true;
                continue;
            }
            String name = arg.substring(2);
            String inlineValue = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                inlineValue = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (booleans.contains(name) && inlineValue == null) {
                args.flags.add(name);
            } else if (valued.contains(name)) {
                if (inlineValue == null) {
                    if (i + 1 >= argv.length) {
                        throw new UsageException(command + ": option --" + name + " needs a value");
                    }
                    inlineValue = argv[++i];
                }
                args.values.computeIfAbsent(name, k -> new ArrayList<>()).add(inlineValue);
            } else {
                throw new UsageException(command + ": unknown option --" + name);
            }
        }
        return args;
    }

    /** The option's value; the last one when it is given several times. */
    Optional<String> value(String name) {
        List<String> given = values.get(name);
        return given == null ? Optional.empty() : Optional.of(given.get(given.size() - 1));
    }

    /** Every value of an option that may be repeated, in order. */
    List<String> values(String name) {
        return values.getOrDefault(name, List.of());
    }

    String require(String name) {
        return value(name).orElseThrow(() -> new UsageException(command + ": option --" + name + " is required"));
    }

    int intValue(String name, int fallback) {
        String v = value(name).orElse(null);
        if (v == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": option --" + name + " expects an integer, got '" + v + "'");
        }
    }

    boolean flag(String name) {
        return flags.contains(name);
    }

    List<String> positional() {
        return positional;
    }

    /** Wrong command-line usage: reported without a stack trace, exit status 2. */
    static final class UsageException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }
}
