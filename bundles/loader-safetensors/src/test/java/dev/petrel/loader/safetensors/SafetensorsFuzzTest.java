package dev.petrel.loader.safetensors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.petrel.api.ModelFormatException;
import dev.petrel.api.weights.TensorInfo;
import dev.petrel.api.weights.TensorType;
import dev.petrel.conformance.Arch;
import dev.petrel.conformance.HfFolderWriter;
import dev.petrel.conformance.ModelSpec;
import dev.petrel.conformance.RandomModels;
import dev.petrel.conformance.SafetensorsWriter;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Feeds mutated safetensors files and model folders to the readers: byte and bit flips in the
 * header, inflated lengths and numbers, truncations, splices and garbage. Whatever the damage,
 * only ModelFormatException may escape, and parsing a file may not allocate much more than the
 * file is long.
 */
class SafetensorsFuzzTest {

    private static final long SEED = 0x5afe_7e45L;
    private static final int FILE_CASES = 12_000;
    private static final int FOLDER_CASES = 400;

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

    private static byte[] valid() {
        Random random = new Random(1);
        byte[] a = new byte[2 * 6 * 5];
        byte[] b = new byte[64];
        byte[] c = new byte[48];
        byte[] s = new byte[4];
        random.nextBytes(a);
        random.nextBytes(c);
        return new SafetensorsWriter().metadata("format", "pt")
                .add("model.layers.0.mlp.up_proj.weight", "BF16", new long[] {6, 5}, a)
                .add("model.norm.weight", "F32", new long[] {16}, b)
                .add("model.layers.0.mlp.down_proj.weight", "F8_E4M3", new long[] {6, 8}, c)
                .add("model.layers.0.mlp.down_proj.weight_scale_inv", "F32", new long[] {1, 1}, s)
                .toByteArray();
    }

    @Test
    void mutatedFiles_failOnlyWithModelFormatExceptionInBoundedMemory() {
        System.out.println("SafetensorsFuzzTest seed " + SEED);
        byte[] valid = valid();
        int headerEnd = 8 + (int) ByteBuffer.wrap(valid).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        Random random = new Random(SEED);
        check("warm-up", valid);
        accepted = 0;
        rejected = 0;
        long start = System.nanoTime();
        for (int i = 0; i < FILE_CASES; i++) {
            check("case " + i + " (seed " + SEED + ")", mutate(valid, headerEnd, random, i));
        }
        System.out.printf("SafetensorsFuzzTest: %d files in %d ms: %d accepted, %d rejected%n", FILE_CASES,
                (System.nanoTime() - start) / 1_000_000, accepted, rejected);
        assertTrue(rejected > FILE_CASES / 2, "rejected " + rejected);
        assertTrue(accepted > FILE_CASES / 100, "accepted " + accepted);
    }

    private static byte[] mutate(byte[] valid, int headerEnd, Random random, int i) {
        byte[] b = valid.clone();
        switch (i % 7) {
            case 0 -> {
                for (int n = 1 + random.nextInt(4); n > 0; n--) {
                    b[8 + random.nextInt(headerEnd - 8)] = (byte) random.nextInt(256);
                }
            }
            case 1 -> b[random.nextInt(headerEnd)] ^= (byte) (1 << random.nextInt(8));
            case 2 -> b = Arrays.copyOf(valid, random.nextInt(valid.length));
            case 3 -> {
                long[] lengths = {Long.MAX_VALUE, -1L, 1L << 40, SafetensorsFile.MAX_HEADER_BYTES,
                        SafetensorsFile.MAX_HEADER_BYTES + 1, headerEnd - 9, headerEnd - 7, valid.length, 0, 1};
                ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, lengths[random.nextInt(lengths.length)]);
            }
            case 4 -> b = numbers(valid, headerEnd, random);
            case 5 -> {
                b = new byte[random.nextInt(2048)];
                random.nextBytes(b);
                if (b.length >= 8 && random.nextBoolean()) {
                    ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, random.nextInt(b.length));
                }
            }
            default -> b = splice(valid, random);
        }
        return b;
    }

    /** Replaces a number of the JSON header by another, keeping the header's length. */
    private static byte[] numbers(byte[] valid, int headerEnd, Random random) {
        String header = new String(valid, 8, headerEnd - 8, StandardCharsets.UTF_8);
        String[] replacements = {"0", "1", "9", "99", "-1", "1e3", "4.5", "null", "[]", "\"x\""};
        StringBuilder out = new StringBuilder(header);
        for (int tries = 0; tries < 100; tries++) {
            int at = random.nextInt(out.length());
            if (Character.isDigit(out.charAt(at))) {
                String r = replacements[random.nextInt(replacements.length)];
                int end = at;
                while (end < out.length() && Character.isDigit(out.charAt(end))) {
                    end++;
                }
                out.replace(at, end, r);
                break;
            }
        }
        byte[] text = out.toString().getBytes(StandardCharsets.UTF_8);
        byte[] data = Arrays.copyOfRange(valid, headerEnd, valid.length);
        return Raw.file(text.length, text, data);
    }

    private static byte[] splice(byte[] valid, Random random) {
        int from = random.nextInt(valid.length);
        int to = Math.min(valid.length, from + 1 + random.nextInt(32));
        byte[] range = Arrays.copyOfRange(valid, from, to);
        ByteBuffer out = ByteBuffer.allocate(valid.length + range.length);
        out.put(valid, 0, from);
        if (random.nextBoolean()) {
            out.put(range).put(range);
        }
        out.put(valid, to, valid.length - to);
        return Arrays.copyOf(out.array(), out.position());
    }

    private void check(String name, byte[] bytes) {
        long before = threads.getCurrentThreadAllocatedBytes();
        SafetensorsFile file;
        try {
            file = SafetensorsFile.parse(name, MemorySegment.ofArray(bytes));
        } catch (ModelFormatException e) {
            assertBounded(name, bytes, before);
            rejected++;
            assertEquals(name, e.source());
            assertTrue(e.getMessage().startsWith(name + ": ") && !e.field().isBlank(), e.getMessage());
            return;
        } catch (Throwable t) {
            throw new AssertionError(name + ": parsing " + bytes.length + " bytes threw " + t, t);
        }
        assertBounded(name, bytes, before);
        accepted++;
        try (file) {
            for (SafetensorsFile.Entry e : file.entries().values()) {
                MemorySegment data = file.data(e);
                assertEquals(e.byteSize(), data.byteSize(), name);
                if (data.byteSize() > 0) {
                    data.get(ValueLayout.JAVA_BYTE, data.byteSize() - 1);
                }
            }
        }
    }

    private static void assertBounded(String name, byte[] bytes, long before) {
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        long bound = 64L * bytes.length + (1 << 20);
        assertTrue(allocated <= bound, () -> name + ": parsing " + bytes.length + " bytes allocated " + allocated);
    }

    /** Damaged config.json, index and shard files of a real folder: the folder reader names the problem. */
    @Test
    void mutatedFolders_failOnlyWithModelFormatException() throws IOException {
        Path original = dir.resolve("original");
        HfFolderWriter.write(RandomModels.generate(ModelSpec.of(Arch.LLAMA).withShape(64, 1, 2, 1, 32, 64)
                .withVocab(300)), original, new HfFolderWriter.Options(TensorType.F8_E4M3, true, 2));
        String[] files = {"config.json", "model.safetensors.index.json", "model-00001-of-00002.safetensors"};
        Random random = new Random(SEED + 1);
        int ok = 0;
        int bad = 0;
        for (int i = 0; i < FOLDER_CASES; i++) {
            String name = "folder case " + i + " (seed " + (SEED + 1) + ")";
            Path folder = dir.resolve("case" + i);
            Files.createDirectories(folder);
            try (var list = Files.list(original)) {
                for (Path p : list.toList()) {
                    Files.copy(p, folder.resolve(p.getFileName()));
                }
            }
            Path target = folder.resolve(files[i % files.length]);
            byte[] content = Files.readAllBytes(target);
            int limit = i % files.length == 2
                    ? 8 + (int) ByteBuffer.wrap(content).order(ByteOrder.LITTLE_ENDIAN).getLong(0) : content.length;
            Files.write(target, mutate(content, limit, random, i % 7 == 4 ? 0 : i));
            try (HfModelFolder opened = HfModelFolder.open(folder)) {
                ok++;
                for (TensorInfo t : opened.tensors()) {
                    assertEquals(t.byteSize(), opened.data(t).byteSize(), name + " " + t.name());
                    opened.scales(t);
                }
            } catch (ModelFormatException e) {
                bad++;
                assertTrue(e.source().startsWith(folder.toString()), name + ": " + e.getMessage());
            } catch (Throwable t) {
                throw new AssertionError(name + " (" + target.getFileName() + ") threw " + t, t);
            }
            deleteTree(folder);
        }
        System.out.printf("SafetensorsFuzzTest: %d folders: %d opened, %d rejected%n", FOLDER_CASES, ok, bad);
        assertTrue(bad > FOLDER_CASES / 2, "rejected " + bad);
    }

    private static void deleteTree(Path folder) throws IOException {
        try (var list = Files.list(folder)) {
            for (Path p : list.toList()) {
                Files.delete(p);
            }
        }
        Files.delete(folder);
    }
}
