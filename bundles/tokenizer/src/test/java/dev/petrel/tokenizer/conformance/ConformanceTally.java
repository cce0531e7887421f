package dev.petrel.tokenizer.conformance;

import java.util.Map;
import java.util.TreeMap;

/** Counts passing cases per test file and prints the table when a test class ends. */
final class ConformanceTally {

    private final Map<String, int[]> counts = new TreeMap<>();

    synchronized void record(String file, boolean passed) {
        int[] c = counts.computeIfAbsent(file, k -> new int[2]);
        c[0] += passed ? 1 : 0;
        c[1]++;
    }

    synchronized String table() {
        StringBuilder out = new StringBuilder("conformance:\n");
        counts.forEach((file, c) -> out.append(String.format("  %-36s %3d/%d%n", file, c[0], c[1])));
        return out.toString();
    }
}
