package dev.petrel.kernels.java;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The arena of the repacked weights: large blocks on huge-page-aligned mappings (on Linux),
 * small ones from the plain arena; either way zeroed, aligned as asked, usable until the arena
 * closes and gone after.
 */
class LargePageArenaTest {

    @Test
    void largeAndSmallBlocks_areZeroedAlignedAndUsable_untilClose() {
        long large = LargePageArena.MIN_BYTES + 12345;
        MemorySegment big;
        MemorySegment small;
        try (LargePageArena arena = new LargePageArena()) {
            big = arena.allocate(large, 64);
            small = arena.allocate(1000, 64);
            assertEquals(large, big.byteSize());
            assertEquals(1000, small.byteSize());
            assertEquals(0, small.address() % 64);
            if (LargePageArena.available()) {
                assertEquals(0, big.address() % (2L << 20), "a large block starts on a huge page");
            } else {
                assertEquals(0, big.address() % 64);
            }
            Random random = new Random(5);
            for (MemorySegment block : new MemorySegment[] {big, small}) {
                assertEquals(0, block.get(ValueLayout.JAVA_BYTE, block.byteSize() - 1), "last byte");
                for (int i = 0; i < 64; i++) { // zero on arrival, here and there
                    long at = random.nextLong(block.byteSize());
                    assertEquals(0, block.get(ValueLayout.JAVA_LONG_UNALIGNED, Math.min(at, block.byteSize() - 8)),
                            "bytes from " + at);
                }
                for (int i = 0; i < 64; i++) { // then writable
                    long at = random.nextLong(block.byteSize());
                    block.set(ValueLayout.JAVA_BYTE, at, (byte) i);
                    assertEquals(i, block.get(ValueLayout.JAVA_BYTE, at));
                }
            }
            assertTrue(big.scope().isAlive());
        }
        assertFalse(big.scope().isAlive());
        assertThrows(IllegalStateException.class, () -> big.get(ValueLayout.JAVA_BYTE, 0));
        assertThrows(IllegalStateException.class, () -> small.get(ValueLayout.JAVA_BYTE, 0));
    }
}
