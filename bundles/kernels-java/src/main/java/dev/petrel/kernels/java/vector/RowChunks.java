package dev.petrel.kernels.java.vector;

import java.util.Arrays;

/**
 * How a matmul's weight rows are split into chunks for the worker pool: guided, each chunk a
 * fixed share of the rows still left, so the chunks shrink from a large first one to the
 * smallest allowed at the end. A matmul ends when its last chunk does; small last chunks keep
 * the wait of the thread that runs out of work short (one pass of groups, not a sixteenth of the
 * thread's rows), and the large first ones keep the chunk count, and what each chunk costs to
 * claim and set up, low.
 */
final class RowChunks {

    /** Each chunk takes the rows left divided by this many times the thread count. */
    private static final int SHARE_DIVISOR = 2;

    private final int[] starts;

    private RowChunks(int[] starts) {
        this.starts = starts;
    }

    /**
     * Chunks of {@code rows} rows for {@code threads} threads, each a multiple of
     * {@code multiple} rows (but the last) and at least {@code minimum} rows.
     */
    static RowChunks guided(int rows, int threads, int multiple, int minimum) {
        if (rows < 0 || threads < 1 || multiple < 1 || minimum < 1) {
            throw new IllegalArgumentException("row chunks: " + rows + " rows, " + threads + " threads, multiple "
                    + multiple + ", minimum " + minimum);
        }
        int smallest = Math.ceilDiv(minimum, multiple) * multiple;
        int[] starts = new int[16];
        int count = 0;
        for (int start = 0; start < rows; count++) {
            int share = Math.ceilDiv(rows - start, SHARE_DIVISOR * threads);
            int size = Math.max(smallest, Math.ceilDiv(share, multiple) * multiple);
            if (count + 2 > starts.length) {
                starts = Arrays.copyOf(starts, starts.length * 2);
            }
            starts[count] = start;
            start = (int) Math.min(rows, (long) start + size);
            starts[count + 1] = start;
        }
        return new RowChunks(Arrays.copyOf(starts, count + 1));
    }

    /** The number of chunks. */
    int count() {
        return starts.length - 1;
    }

    /** The first row of chunk {@code c}. */
    int start(int c) {
        return starts[c];
    }

    /** The rows of chunk {@code c}. */
    int rows(int c) {
        return starts[c + 1] - starts[c];
    }
}
