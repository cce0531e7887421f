package dev.petrel.quant.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The Q8_0 activation bytes a thread last laid out for one token. Every chunk of a one-token
 * matmul asks for the same activations; laying them out is a pass over the whole row (and for
 * Q4_0 a table four times its size), comparing them with the recorded copy is a vectorised
 * compare of the row's bytes. Each user keeps its own instance, since each lays out into its own
 * arrays. Held per thread as a plain array (see {@link ActivationFloats} on why).
 */
final class LastSource {

    private final ThreadLocal<byte[][]> perThread = ThreadLocal.withInitial(() -> new byte[][] {null});

    /** Whether the calling thread last recorded exactly these {@code bytes} bytes of {@code x}. */
    boolean same(MemorySegment x, long offset, int bytes) {
        byte[] last = perThread.get()[0];
        return last != null && last.length == bytes
                && MemorySegment.mismatch(x, offset, offset + bytes, MemorySegment.ofArray(last), 0, bytes) < 0;
    }

    /** Records these bytes as the ones the calling thread has laid out. */
    void record(MemorySegment x, long offset, int bytes) {
        byte[][] holder = perThread.get();
        if (holder[0] == null || holder[0].length != bytes) {
            holder[0] = new byte[bytes];
        }
        MemorySegment.copy(x, ValueLayout.JAVA_BYTE, offset, holder[0], 0, bytes);
    }

    /** Forgets the calling thread's record: its arrays now hold something else. */
    void forget() {
        perThread.get()[0] = null;
    }
}
