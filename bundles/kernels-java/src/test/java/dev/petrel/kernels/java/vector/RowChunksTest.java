package dev.petrel.kernels.java.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The guided split of a matmul's rows: every row once, whole multiples, shrinking to the smallest chunk. */
class RowChunksTest {

    @ParameterizedTest(name = "{0} rows, {1} threads, multiple {2}, minimum {3}")
    @CsvSource({
        "8192, 2, 64, 8", "2048, 2, 64, 8", "512, 2, 64, 8", "32000, 2, 64, 8", "100, 2, 64, 8",
        "8197, 2, 64, 8", "4096, 16, 128, 8", "65536, 16, 128, 8", "7, 4, 1, 8", "1, 1, 1, 8", "1000, 3, 1, 8", "0, 2, 64, 8"})
    void chunksCoverEveryRowOnceShrinkingToTheSmallest(int rows, int threads, int multiple, int minimum) {
        RowChunks chunks = RowChunks.guided(rows, threads, multiple, minimum);
        int smallest = Math.ceilDiv(minimum, multiple) * multiple;
        int next = 0;
        int previous = Integer.MAX_VALUE;
        for (int c = 0; c < chunks.count(); c++) {
            assertEquals(next, chunks.start(c), "chunk " + c + " starts where the one before ended");
            int size = chunks.rows(c);
            boolean last = c == chunks.count() - 1;
            assertTrue(size > 0, "chunk " + c + " has rows");
            if (!last) {
                assertEquals(0, size % multiple, "chunk " + c + " of " + size + " rows, a multiple of " + multiple);
                assertTrue(size >= smallest, "chunk " + c + " of " + size + " rows, at least " + smallest);
                assertTrue(size <= previous, "chunk " + c + " of " + size + " rows after one of " + previous);
            }
            previous = size;
            next += size;
        }
        assertEquals(rows, next, "the chunks cover all rows");
        if (rows > 2 * threads * smallest) {
            // the first chunk is a share of the rows, the last ones the smallest: few chunks
            assertTrue(chunks.rows(0) > smallest, "first chunk " + chunks.rows(0) + " rows");
            assertTrue(chunks.rows(chunks.count() - 1) <= smallest, "last chunk " + chunks.rows(chunks.count() - 1));
            assertTrue(chunks.count() < 8 * threads * Math.log(rows) + 8, chunks.count() + " chunks");
        }
    }

    @Test
    void badArgumentsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> RowChunks.guided(-1, 2, 64, 8));
        assertThrows(IllegalArgumentException.class, () -> RowChunks.guided(64, 0, 64, 8));
        assertThrows(IllegalArgumentException.class, () -> RowChunks.guided(64, 2, 0, 8));
    }
}
