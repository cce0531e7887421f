package dev.petrel.kernels.cuda;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jcuda.driver.CUdeviceptr;

/**
 * The parameter kinds of the kernels' entry points, read from the PTX the backend loads.
 * cuLaunchKernel takes arguments as untyped pointers: an argument list out of order or one
 * short would run with garbage, so every launch is checked against the entry it calls.
 */
final class KernelSignatures {

    /** A kernel parameter as the PTX declares it: 32-bit integer, float, or 64 bits (pointer or long). */
    enum Kind { B32, F32, B64 }

    private static final Pattern ENTRY = Pattern.compile("\\.entry\\s+(\\w+)\\s*\\(([^)]*)\\)");
    private static final Pattern PARAM = Pattern.compile("\\.param\\s+\\.([a-z]+)(\\d+)\\s+\\w+");

    private final Map<String, List<Kind>> entries;

    private KernelSignatures(Map<String, List<Kind>> entries) {
        this.entries = entries;
    }

    static KernelSignatures parse(String ptx) {
        Map<String, List<Kind>> entries = new HashMap<>();
        Matcher entry = ENTRY.matcher(ptx);
        while (entry.find()) {
            List<Kind> kinds = new ArrayList<>();
            Matcher param = PARAM.matcher(entry.group(2));
            while (param.find()) {
                String type = param.group(1);
                int bits = Integer.parseInt(param.group(2));
                kinds.add(bits == 64 ? Kind.B64 : type.equals("f") ? Kind.F32 : Kind.B32);
            }
            entries.put(entry.group(1), List.copyOf(kinds));
        }
        return new KernelSignatures(Map.copyOf(entries));
    }

    /** The parameters of a kernel, or null when the PTX has no such entry. */
    List<Kind> of(String kernel) {
        return entries.get(kernel);
    }

    /** The kind a launch argument is passed as. */
    static Kind kindOf(Object arg) {
        return switch (arg) {
            case CUdeviceptr p -> Kind.B64;
            case Long v -> Kind.B64;
            case Integer v -> Kind.B32;
            case Float v -> Kind.F32;
            default -> throw new IllegalStateException("kernel argument " + arg + " of " + arg.getClass());
        };
    }

    /** Throws when {@code args} do not match the kernel's parameters in number and kind. */
    void check(String kernel, Object... args) {
        List<Kind> expected = entries.get(kernel);
        if (expected == null) {
            throw new IllegalStateException("the PTX has no kernel " + kernel);
        }
        List<Kind> given = Arrays.stream(args).map(KernelSignatures::kindOf).toList();
        if (!given.equals(expected)) {
            throw new IllegalStateException("kernel " + kernel + " takes " + expected + ", launched with " + given);
        }
    }
}
