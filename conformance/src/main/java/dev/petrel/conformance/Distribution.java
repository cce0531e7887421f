package dev.petrel.conformance;

import java.util.Arrays;

/**
 * The logits of one position: what a model thinks of the next token after the ids it has
 * read. A source gives at least its highest logits ({@link #topIds}, highest first) and may
 * give all of them ({@link #all}, indexed by token id).
 *
 * @param token the source's own greedy choice (its argmax)
 * @param topIds the ids of the highest logits, highest first
 * @param topLogits their logits, in the same order
 * @param all every logit by token id, or null when the source gave only the top
 */
public record Distribution(int token, int[] topIds, float[] topLogits, float[] all) {

    public Distribution {
        topIds = topIds.clone();
        topLogits = topLogits.clone();
        all = all == null ? null : all.clone();
        if (topIds.length != topLogits.length) {
            throw new IllegalArgumentException(topIds.length + " top ids but " + topLogits.length + " top logits");
        }
        if (topIds.length == 0 && all == null) {
            throw new IllegalArgumentException("a distribution needs its top logits or all of them");
        }
    }

    /**
     * The distribution of a full logits vector: {@code token} is its argmax (lowest id among
     * equals) and the top holds the {@code topK} highest logits.
     */
    public static Distribution ofLogits(float[] logits, int topK) {
        if (logits.length == 0 || topK < 1) {
            throw new IllegalArgumentException("need logits and topK >= 1");
        }
        int k = Math.min(topK, logits.length);
        Integer[] order = new Integer[logits.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> {
            int c = Float.compare(logits[b], logits[a]);
            return c != 0 ? c : Integer.compare(a, b);
        });
        int[] ids = new int[k];
        float[] values = new float[k];
        for (int i = 0; i < k; i++) {
            ids[i] = order[i];
            values[i] = logits[order[i]];
        }
        return new Distribution(ids[0], ids, values, logits);
    }

    @Override
    public int[] topIds() {
        return topIds.clone();
    }

    @Override
    public float[] topLogits() {
        return topLogits.clone();
    }

    @Override
    public float[] all() {
        return all == null ? null : all.clone();
    }

    /** Whether every logit is known. */
    public boolean full() {
        return all != null;
    }

    /** How many top logits are listed. */
    public int topCount() {
        return topIds.length;
    }

    /** The id of the {@code rank}-th highest logit (0 = the highest). */
    public int topId(int rank) {
        return topIds[rank];
    }

    /** The {@code rank}-th highest logit (0 = the highest). */
    public float topLogit(int rank) {
        return topLogits[rank];
    }

    /** The logit of token {@code id}, or NaN when this distribution does not know it. */
    public float logit(int id) {
        if (all != null) {
            return id >= 0 && id < all.length ? all[id] : Float.NaN;
        }
        for (int i = 0; i < topIds.length; i++) {
            if (topIds[i] == id) {
                return topLogits[i];
            }
        }
        return Float.NaN;
    }

    /**
     * The smallest logit a token outside the listed top can have: the lowest listed one (or
     * negative infinity when all logits are known, since nothing lies outside).
     */
    public float unlistedBound() {
        return all != null ? Float.NEGATIVE_INFINITY : topLogits[topLogits.length - 1];
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("Distribution[token=").append(token).append(", top=");
        for (int i = 0; i < Math.min(5, topIds.length); i++) {
            s.append(i == 0 ? "" : " ").append(topIds[i]).append(':').append(topLogits[i]);
        }
        return s.append(topIds.length > 5 ? " ..." : "").append(full() ? ", full]" : "]").toString();
    }
}
