package dev.petrel.quant.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The Q8_0 activation bytes a thread last laid out for one token, and in which layout. Every
 * chunk of a one-token matmul asks for the same activations, and laying them out again per
 * chunk cost up to a tenth of a chunk's time; comparing the bytes with the recorded copy is a
 * vectorised compare of a few kilobytes. Held per thread as a plain array (see
 * {@link ActivationFloats} on why).
 */
final class LastSource {

    private final ThreadLocal<byte[][]> perThread = ThreadLocal.withInitial(() -> new byte[][] {null});

    /**
     * Whether the calling thread last recorded exactly these {@code bytes} bytes of {@code x}
     * in layout {@code layout}.
     */
    boolean same(MemorySegment x, long offset, int bytes, byte layout) {
        byte[] last = perThread.get()[0];
        return last != null && last.length == bytes + 1 && last[bytes] == layout
                && MemorySegment.mismatch(x, offset, offset + bytes, MemorySegment.ofArray(last), 0, bytes) < 0;
    }

    /** Records these bytes, laid out in {@code layout}, as the calling thread's last source. */
    void record(MemorySegment x, long offset, int bytes, byte layout) {
        byte[][] holder = perThread.get();
        if (holder[0] == null || holder[0].length != bytes + 1) {
            holder[0] = new byte[bytes + 1];
        }
        MemorySegment.copy(x, ValueLayout.JAVA_BYTE, offset, holder[0], 0, bytes);
        holder[0][bytes] = layout;
    }

    /** Forgets the calling thread's record: its arrays now hold something else. */
    void forget() {
        perThread.get()[0] = null;
    }
}
