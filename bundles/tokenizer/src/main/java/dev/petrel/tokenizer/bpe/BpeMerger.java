package dev.petrel.tokenizer.bpe;

import dev.petrel.tokenizer.core.IntList;
import dev.petrel.tokenizer.core.LongMinHeap;

/**
 * The BPE merge loop over one word: while some adjacent pair has a rule, join the pair of
 * lowest rank, the leftmost on ties. Symbols form a linked list over arrays and candidate
 * pairs wait in a heap, so a word of n symbols takes O(n log n) however long it is.
 */
final class BpeMerger {

    private BpeMerger() {}

    /**
     * Merges {@code symbols} (token ids, -1 for a symbol without a token, which never merges)
     * and appends the resulting ids, without the -1s, to {@code out}.
     */
    static void merge(int[] symbols, MergeTable merges, IntList out) {
        int n = symbols.length;
        if (n == 0) {
            return;
        }
        if (n == 1) {
            appendKnown(symbols[0], out);
            return;
        }
        int[] ids = symbols.clone();
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        LongMinHeap candidates = new LongMinHeap(n);
        for (int i = 0; i + 1 < n; i++) {
            offer(candidates, merges, ids, i, i + 1);
        }
        while (!candidates.isEmpty()) {
            long top = candidates.poll();
            int rank = (int) (top >>> 32);
            int left = (int) top;
            int right = next[left];
            // A candidate is stale once either symbol has changed; a pair's rank identifies it.
            if (ids[left] < 0 || right < 0 || ids[right] < 0 || merges.rank(ids[left], ids[right]) != rank) {
                continue;
            }
            ids[left] = merges.merged(ids[left], ids[right]);
            ids[right] = -1;
            next[left] = next[right];
            if (next[right] >= 0) {
                prev[next[right]] = left;
            }
            if (prev[left] >= 0) {
                offer(candidates, merges, ids, prev[left], left);
            }
            if (next[left] >= 0) {
                offer(candidates, merges, ids, left, next[left]);
            }
        }
        for (int i = 0; i >= 0; i = next[i]) {
            appendKnown(ids[i], out);
        }
    }

    private static void offer(LongMinHeap heap, MergeTable merges, int[] ids, int left, int right) {
        if (ids[left] < 0 || ids[right] < 0) {
            return;
        }
        int rank = merges.rank(ids[left], ids[right]);
        if (rank >= 0) {
            heap.add(((long) rank << 32) | left);
        }
    }

    private static void appendKnown(int id, IntList out) {
        if (id >= 0) {
            out.add(id);
        }
    }
}
