package dev.petrel.loader.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.petrel.api.ModelFormatException;
import dev.petrel.api.weights.TensorInfo;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Feeds mutated GGUF files to the reader: byte and bit flips, truncations, inflated counts and
 * lengths, splices and random garbage. Whatever the damage, only ModelFormatException may
 * escape, and a parse may not allocate much more than its input is long.
 */
class GgufFuzzTest {

    private static final long SEED = 0x6775_6666L;
    private static final int IN_MEMORY_CASES = 12_000;
    /** Every so many cases also goes through a real file, mapped by GgufFile.open. */
    private static final int ON_DISK_EVERY = 40;
    private static final int REAL_VOCAB_CASES = 60;

    private static com.sun.management.ThreadMXBean threads;

    @TempDir
    Path dir;

    private int accepted;
    private int rejected;

    @BeforeAll
    static void measureAllocations() {
        threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        threads.setThreadAllocatedMemoryEnabled(true);
    }

    @Test
    void mutatedFiles_failOnlyWithModelFormatExceptionInBoundedMemory() throws IOException {
        System.out.println("GgufFuzzTest seed " + SEED);
        byte[] valid = Samples.sampleWriter().alignment(32).toByteArray();
        List<Integer> countPositions;
        try (GgufFile file = GgufFile.parse("valid", MemorySegment.ofArray(valid))) {
            countPositions = countLikePositions(valid, (int) file.header().dataOffset());
        }
        Random random = new Random(SEED);
        checkInMemory("warm-up", valid);
        accepted = 0;

        long start = System.nanoTime();
        int onDisk = 0;
        for (int i = 0; i < IN_MEMORY_CASES; i++) {
            String name = "case " + i + " (seed " + SEED + ")";
            byte[] mutated = mutate(valid, countPositions, random, i);
            checkInMemory(name, mutated);
            if (i % ON_DISK_EVERY == 0) {
                checkOnDisk(name, mutated);
                onDisk++;
            }
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        System.out.printf("GgufFuzzTest: %d in-memory and %d on-disk cases in %d ms: %d accepted, %d rejected%n",
                IN_MEMORY_CASES, onDisk, millis, accepted, rejected);
        assertTrue(onDisk >= 300, "on-disk cases: " + onDisk);
        // Both outcomes must be common, or the mutations miss the structure.
        assertTrue(rejected > IN_MEMORY_CASES / 2, "rejected " + rejected);
        assertTrue(accepted > IN_MEMORY_CASES / 50, "accepted " + accepted);
    }

    @Test
    void mutatedRealVocabulary_failsOnlyWithModelFormatException() throws IOException {
        byte[] vocab = Files.readAllBytes(TestData.ggufVocab("ggml-vocab-llama-spm.gguf"));
        // the counts, keys and the first few hundred token lengths
        List<Integer> countPositions = countLikePositions(vocab, 4096);
        Random random = new Random(SEED + 1);
        for (int i = 0; i < REAL_VOCAB_CASES; i++) {
            checkInMemory("vocab case " + i + " (seed " + (SEED + 1) + ")", mutate(vocab, countPositions, random, i));
        }
        assertTrue(rejected > REAL_VOCAB_CASES / 3, "rejected " + rejected);
    }

    private static byte[] mutate(byte[] valid, List<Integer> countPositions, Random random, int i) {
        byte[] b = valid.clone();
        switch (i % 6) {
            case 0 -> {
                for (int n = 1 + random.nextInt(8); n > 0; n--) {
                    b[random.nextInt(b.length)] = (byte) random.nextInt(256);
                }
            }
            case 1 -> b[random.nextInt(b.length)] ^= (byte) (1 << random.nextInt(8));
            case 2 -> b = Arrays.copyOf(valid, random.nextInt(valid.length));
            case 3 -> {
                int position = countPositions.get(random.nextInt(countPositions.size()));
                putLong(b, position, inflated(random, b, position));
            }
            case 4 -> b = garbage(random);
            default -> b = splice(valid, random);
        }
        return b;
    }

    /** A count or length made absurd, or just wrong. */
    private static long inflated(Random random, byte[] b, int position) {
        long original = ByteBuffer.wrap(b, position, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        long[] choices = {Long.MAX_VALUE, -1L, 1L << 62, 1L << 32, 1L << 31, Integer.MAX_VALUE, b.length,
                b.length - position, original + 1, original * 2 + 1, original * 1000, random.nextLong()};
        return choices[random.nextInt(choices.length)];
    }

    private static byte[] garbage(Random random) {
        byte[] b = new byte[random.nextInt(4096)];
        random.nextBytes(b);
        if (b.length >= 24 && random.nextBoolean()) {
            // Past the magic and version, so that garbage reaches the counts and keys.
            ByteBuffer header = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
            header.put(GgufLayout.MAGIC).putInt(2 + random.nextInt(2));
            header.putLong(random.nextInt(4)).putLong(random.nextInt(8));
        }
        return b;
    }

    /** Removes or repeats a random range, shifting everything after it. */
    private static byte[] splice(byte[] valid, Random random) {
        int from = random.nextInt(valid.length);
        int to = Math.min(valid.length, from + 1 + random.nextInt(64));
        byte[] range = Arrays.copyOfRange(valid, from, to);
        ByteBuffer out = ByteBuffer.allocate(valid.length + range.length);
        out.put(valid, 0, from);
        if (random.nextBoolean()) {
            out.put(range).put(range);
        }
        out.put(valid, to, valid.length - to);
        return Arrays.copyOf(out.array(), out.position());
    }

    /** Positions before {@code end} holding a small uint64: counts, lengths and their neighbours. */
    private static List<Integer> countLikePositions(byte[] valid, int end) {
        List<Integer> positions = new ArrayList<>();
        ByteBuffer le = ByteBuffer.wrap(valid).order(ByteOrder.LITTLE_ENDIAN);
        for (int p = 8; p + 8 <= Math.min(end, valid.length); p++) {
            long v = le.getLong(p);
            if (v >= 0 && v < (1 << 20)) {
                positions.add(p);
            }
        }
        return positions;
    }

    private void checkInMemory(String name, byte[] bytes) {
        long before = threads.getCurrentThreadAllocatedBytes();
        GgufFile file;
        try {
            file = GgufFile.parse(name, MemorySegment.ofArray(bytes));
        } catch (ModelFormatException e) {
            assertBounded(name, bytes, before);
            assertNamed(name, e);
            return;
        } catch (Throwable t) {
            throw new AssertionError(name + ": parsing " + bytes.length + " bytes threw " + t, t);
        }
        assertBounded(name, bytes, before);
        exercise(name, file);
    }

    private void checkOnDisk(String name, byte[] bytes) throws IOException {
        Path path = Files.write(dir.resolve("fuzz.gguf"), bytes);
        GgufFile file;
        try {
            file = GgufFile.open(path);
        } catch (ModelFormatException e) {
            assertEquals(path.toString(), e.source(), name);
            return;
        } catch (Throwable t) {
            throw new AssertionError(name + ": opening " + bytes.length + " bytes threw " + t, t);
        }
        exercise(name, file);
    }

    private static void assertBounded(String name, byte[] bytes, long before) {
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        long bound = 64L * bytes.length + (1 << 20);
        assertTrue(allocated <= bound, () -> name + ": parsing " + bytes.length + " bytes allocated " + allocated);
    }

    private void assertNamed(String name, ModelFormatException e) {
        rejected++;
        if (!name.equals(e.source()) || e.field().isBlank() || !e.getMessage().startsWith(name + ": ")) {
            throw new AssertionError(name + ": message does not name the source and field: " + e.getMessage(), e);
        }
    }

    /** An accepted file must be usable: every value printable, every tensor readable to its last byte. */
    private void exercise(String name, GgufFile file) {
        try (file) {
            file.metadata().values().forEach((key, value) -> value.toString());
            for (TensorInfo t : file.tensors()) {
                MemorySegment data = file.data(t);
                data.get(ValueLayout.JAVA_BYTE, 0);
                data.get(ValueLayout.JAVA_BYTE, data.byteSize() - 1);
            }
            accepted++;
        } catch (Throwable t) {
            throw new AssertionError(name + ": an accepted file failed in use: " + t, t);
        }
    }

    private static void putLong(byte[] b, int position, long value) {
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(position, value);
    }
}
