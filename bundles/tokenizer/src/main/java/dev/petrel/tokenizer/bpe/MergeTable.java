package dev.petrel.tokenizer.bpe;

/**
 * BPE merge rules keyed by the pair of token ids they join: the rule's rank (its position in
 * the merge list, lower merges first) and the id of the joined token. Open addressing over
 * primitive arrays, so a lookup costs no allocation.
 */
public final class MergeTable {

    private static final long EMPTY = -1L;

    private final long[] keys;
    private final int[] ranks;
    private final int[] merged;
    private final int mask;
    private int size;

    /** A table with room for {@code capacity} rules. */
    public MergeTable(int capacity) {
        int slots = Integer.highestOneBit(Math.max(4, capacity) * 2 - 1) * 2;
        keys = new long[slots];
        java.util.Arrays.fill(keys, EMPTY);
        ranks = new int[slots];
        merged = new int[slots];
        mask = slots - 1;
    }

    private static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        int i = (int) (h >>> 40) & mask;
        while (keys[i] != EMPTY && keys[i] != key) {
            i = (i + 1) & mask;
        }
        return i;
    }

    /** Adds a rule; the first rule for a pair wins, as a later duplicate could never apply. */
    public boolean add(int left, int right, int rank, int mergedId) {
        if (size * 2 >= keys.length) {
            throw new IllegalStateException("merge table is full");
        }
        long key = key(left, right);
        int i = slot(key);
        if (keys[i] != EMPTY) {
            return false;
        }
        keys[i] = key;
        ranks[i] = rank;
        merged[i] = mergedId;
        size++;
        return true;
    }

    /** The rank of the rule joining {@code left} and {@code right}, or -1 when none does. */
    public int rank(int left, int right) {
        int i = slot(key(left, right));
        return keys[i] == EMPTY ? -1 : ranks[i];
    }

    /** The id of the token that joins {@code left} and {@code right}; only valid when a rule exists. */
    public int merged(int left, int right) {
        int i = slot(key(left, right));
        return keys[i] == EMPTY ? -1 : merged[i];
    }

    public int size() {
        return size;
    }
}
