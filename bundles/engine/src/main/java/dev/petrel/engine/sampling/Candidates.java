package dev.petrel.engine.sampling;

import java.util.Arrays;

/**
 * Token candidates sorted by logit, highest first (lower id first on ties), narrowed step by
 * step. Sorting packs each logit and id into one long, so no object is made per token.
 */
final class Candidates {

    private final int[] ids;
    private final float[] logits;
    private int size;

    private Candidates(int[] ids, float[] logits) {
        this.ids = ids;
        this.logits = logits;
        this.size = ids.length;
    }

    /** The {@code k} best tokens, sorted; every token when {@code k} is 0. */
    static Candidates best(float[] all, int k) {
        int keep = k <= 0 ? all.length : Math.min(k, all.length);
        long[] keys = keep == all.length ? sortAll(all) : selectBest(all, keep);
        int[] ids = new int[keep];
        float[] logits = new float[keep];
        for (int i = 0; i < keep; i++) {
            ids[i] = (int) keys[i];
            logits[i] = all[ids[i]];
        }
        return new Candidates(ids, logits);
    }

    int size() {
        return size;
    }

    int id(int rank) {
        return ids[rank];
    }

    float logit(int rank) {
        return logits[rank];
    }

    /** Keeps the smallest prefix whose probability reaches {@code p} (at least one token). */
    void keepTopP(float p) {
        if (p >= 1) {
            return;
        }
        double[] probabilities = probabilities();
        double cumulative = 0;
        for (int i = 0; i < size; i++) {
            cumulative += probabilities[i];
            if (cumulative >= p) {
                size = i + 1;
                return;
            }
        }
    }

    /** Drops tokens less likely than {@code p} times the most likely one (at least one stays). */
    void keepMinP(float p) {
        if (p <= 0) {
            return;
        }
        // p_i >= p * p_max  <=>  logit_i >= logit_max + ln p
        float threshold = logits[0] + (float) Math.log(p);
        int kept = 1;
        while (kept < size && logits[kept] >= threshold) {
            kept++;
        }
        size = kept;
    }

    void divide(float temperature) {
        for (int i = 0; i < size; i++) {
            logits[i] /= temperature;
        }
    }

    /** Draws a token from the softmax of the remaining logits; {@code u} is uniform in [0, 1). */
    int draw(double u) {
        double[] probabilities = probabilities();
        double cumulative = 0;
        for (int i = 0; i < size; i++) {
            cumulative += probabilities[i];
            if (u < cumulative) {
                return ids[i];
            }
        }
        return ids[size - 1];
    }

    /** Softmax of the remaining logits, in rank order. */
    double[] probabilities() {
        double[] p = new double[size];
        double max = logits[0];
        double sum = 0;
        for (int i = 0; i < size; i++) {
            p[i] = Math.exp(logits[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < size; i++) {
            p[i] /= sum;
        }
        return p;
    }

    /** Ascending keys order tokens by descending logit, then ascending id. */
    private static long key(float logit, int id) {
        int bits = Float.floatToIntBits(logit);
        int ordered = bits ^ ((bits >> 31) & 0x7fffffff);   // signed order = float order
        return ((long) ~ordered << 32) | (id & 0xffffffffL);
    }

    private static long[] sortAll(float[] all) {
        long[] keys = new long[all.length];
        for (int i = 0; i < all.length; i++) {
            keys[i] = key(all[i], i);
        }
        Arrays.sort(keys);
        return keys;
    }

    /** The {@code k} smallest keys through a max-heap of {@code k}, sorted. */
    private static long[] selectBest(float[] all, int k) {
        long[] heap = new long[k];
        int size = 0;
        for (int i = 0; i < all.length; i++) {
            long key = key(all[i], i);
            if (size < k) {
                heap[size] = key;
                siftUp(heap, size++);
            } else if (key < heap[0]) {
                heap[0] = key;
                siftDown(heap, k);
            }
        }
        Arrays.sort(heap);
        return heap;
    }

    private static void siftUp(long[] heap, int i) {
        while (i > 0) {
            int parent = (i - 1) / 2;
            if (heap[parent] >= heap[i]) {
                return;
            }
            swap(heap, parent, i);
            i = parent;
        }
    }

    private static void siftDown(long[] heap, int size) {
        int i = 0;
        while (true) {
            int left = 2 * i + 1;
            int largest = i;
            if (left < size && heap[left] > heap[largest]) {
                largest = left;
            }
            if (left + 1 < size && heap[left + 1] > heap[largest]) {
                largest = left + 1;
            }
            if (largest == i) {
                return;
            }
            swap(heap, i, largest);
            i = largest;
        }
    }

    private static void swap(long[] heap, int a, int b) {
        long t = heap[a];
        heap[a] = heap[b];
        heap[b] = t;
    }
}
