package dev.petrel.models.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.petrel.models.HubReference;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ConsoleProgressTest {

    private static final HubReference REF = HubReference.parse("hf://o/r/model.gguf");
    private static final long GB2 = 2_000_000_000L;

    @Test
    void plain_printsStartTenthsAndEnd() {
        AtomicLong clock = new AtomicLong();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ConsoleProgress progress = new ConsoleProgress(new PrintStream(bytes, true, StandardCharsets.UTF_8), false, clock::get);
        progress.started(REF, Path.of("cache", "model.gguf"), 0, GB2);
        for (int i = 1; i <= 100; i++) {
            clock.addAndGet(200_000_000L); // 0.2 s per 20 MB: 100 MB/s
            progress.progress(GB2 * i / 100, GB2);
        }
        progress.finished(Path.of("cache", "model.gguf"), GB2, "ab".repeat(32), true);
        String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\n");

        assertEquals("Downloading hf://o/r/model.gguf (2.00 GB) to " + Path.of("cache", "model.gguf"), lines[0]);
        assertEquals(11, lines.length, String.join("\n", lines));
        assertEquals("   10%  200.0 MB of 2.00 GB  100.0 MB/s  ETA 0:18", lines[1]);
        assertEquals("   90%  1.80 GB of 2.00 GB  100.0 MB/s  ETA 0:02", lines[9]);
        assertEquals("Downloaded model.gguf: 2.00 GB in 0:20 (100.0 MB/s), SHA-256 " + "ab".repeat(32) + " verified",
                lines[10]);
    }

    @Test
    void terminal_redrawsOneLineWithBarAndEta() {
        AtomicLong clock = new AtomicLong();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ConsoleProgress progress = new ConsoleProgress(new PrintStream(bytes, true, StandardCharsets.UTF_8), true, clock::get);
        progress.started(REF, Path.of("m.gguf"), 500_000_000L, GB2);
        clock.addAndGet(1_000_000_000L);
        progress.progress(1_000_000_000L, GB2);
        String out = bytes.toString(StandardCharsets.UTF_8);

        assertTrue(out.contains(", resuming at 500.0 MB\n"), out);
        assertTrue(out.endsWith("\rmodel.gguf  50% [############>           ] 1.00 GB / 2.00 GB  500.0 MB/s  ETA 0:02"), out);
    }

    @Test
    void unknownSize_showsBytesAndSpeed() {
        ConsoleProgress progress = new ConsoleProgress(new PrintStream(new ByteArrayOutputStream()), true, () -> 0);
        assertEquals("  1.5 MB  0.0 MB/s", progress.barLine(1_500_000, -1, 0));
        assertEquals("1:01:01", ConsoleProgress.duration(3661));
        assertEquals("999 B", ConsoleProgress.size(999));
    }
}
