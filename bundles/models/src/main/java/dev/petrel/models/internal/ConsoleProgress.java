package dev.petrel.models.internal;

import dev.petrel.models.DownloadListener;
import dev.petrel.models.HubReference;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Download progress on a console. On a terminal: one line redrawn in place, at most ten
 * times a second, with a bar, bytes, percentage, speed and time left. Otherwise (a log, a
 * pipe, CI): a line at the start, one per tenth of the file (or every 30 s when the size is
 * unknown) and one at the end.
 */
final class ConsoleProgress implements DownloadListener {

    private static final int BAR = 24;
    private static final long REDRAW_NANOS = 100_000_000L;
    private static final long WINDOW_NANOS = 5_000_000_000L;
    private static final long QUIET_LINE_NANOS = 30_000_000_000L;

    private final PrintStream out;
    private final boolean terminal;
    private final LongSupplier nanoTime;
    private final ArrayDeque<long[]> samples = new ArrayDeque<>();
    private String name = "";
    private long startNanos;
    private long startBytes;
    private long lastDraw;
    private int lastTenth;
    private int drawnWidth;

    ConsoleProgress(PrintStream out, boolean terminal, LongSupplier nanoTime) {
        this.out = out;
        this.terminal = terminal;
        this.nanoTime = nanoTime;
    }

    /** Progress on standard error; a bar only when the console is a terminal. */
    static ConsoleProgress onStandardError() {
        java.io.Console console = System.console();
        boolean terminal = console != null && console.isTerminal() && !"dumb".equals(System.getenv("TERM"));
        return new ConsoleProgress(System.err, terminal, System::nanoTime);
    }

    @Override
    public void started(HubReference reference, Path target, long resumedFrom, long totalBytes) {
        name = reference.fileName();
        startNanos = nanoTime.getAsLong();
        startBytes = resumedFrom;
        lastDraw = 0;
        lastTenth = totalBytes > 0 ? (int) (resumedFrom * 10 / totalBytes) : 0;
        samples.clear();
        samples.add(new long[] {startNanos, resumedFrom});
        StringBuilder line = new StringBuilder("Downloading ").append(reference);
        if (totalBytes >= 0) {
            line.append(" (").append(size(totalBytes)).append(')');
        }
        line.append(" to ").append(target);
        if (resumedFrom > 0) {
            line.append(", resuming at ").append(size(resumedFrom));
        }
        out.println(line);
        out.flush();
    }

    @Override
    public void progress(long bytesDone, long totalBytes) {
        long now = nanoTime.getAsLong();
        samples.add(new long[] {now, bytesDone});
        while (samples.size() > 2 && now - samples.peekFirst()[0] > WINDOW_NANOS) {
            samples.pollFirst();
        }
        if (terminal) {
            if (now - lastDraw >= REDRAW_NANOS || bytesDone == totalBytes) {
                lastDraw = now;
                draw(barLine(bytesDone, totalBytes, now));
            }
            return;
        }
        if (totalBytes > 0) {
            int tenth = (int) (bytesDone * 10 / totalBytes);
            if (tenth > lastTenth && tenth < 10) {
                lastTenth = tenth;
                out.println("  " + plainLine(bytesDone, totalBytes, now));
                out.flush();
            }
        } else if (now - Math.max(lastDraw, startNanos) >= QUIET_LINE_NANOS) {
            lastDraw = now;
            out.println("  " + plainLine(bytesDone, totalBytes, now));
            out.flush();
        }
    }

    @Override
    public void retrying(String reason, int attempt, long delayMillis) {
        endBar();
        out.println("Download interrupted: " + reason + "; resuming in "
                + String.format(Locale.ROOT, "%.1f", delayMillis / 1000.0) + " s (try " + (attempt + 1) + ")");
        out.flush();
    }

    @Override
    public void finished(Path file, long bytes, String sha256, boolean checksumVerified) {
        endBar();
        long elapsed = Math.max(1, nanoTime.getAsLong() - startNanos);
        double rate = (bytes - startBytes) / (elapsed / 1e9);
        out.println("Downloaded " + name + ": " + size(bytes) + " in " + duration(elapsed / 1_000_000_000L)
                + " (" + rate(rate) + "), SHA-256 " + sha256 + (checksumVerified ? " verified" : " recorded"));
        out.flush();
    }

    String barLine(long done, long total, long now) {
        double speed = speed(now);
        if (total <= 0) {
            return name + "  " + size(done) + "  " + rate(speed);
        }
        int percent = (int) Math.min(100, done * 100 / total);
        int filled = (int) Math.min(BAR, done * BAR / total);
        String bar = "#".repeat(filled) + (filled < BAR ? ">" + " ".repeat(BAR - filled - 1) : "");
        return String.format(Locale.ROOT, "%s %3d%% [%s] %s / %s  %s  ETA %s", name, percent, bar,
                size(done), size(total), rate(speed), eta(total - done, speed));
    }

    String plainLine(long done, long total, long now) {
        double speed = speed(now);
        if (total <= 0) {
            return size(done) + "  " + rate(speed);
        }
        return String.format(Locale.ROOT, "%3d%%  %s of %s  %s  ETA %s", (int) (done * 100 / total),
                size(done), size(total), rate(speed), eta(total - done, speed));
    }

    private void draw(String line) {
        int pad = Math.max(0, drawnWidth - line.length());
        out.print("\r" + line + " ".repeat(pad));
        out.flush();
        drawnWidth = line.length();
    }

    private void endBar() {
        if (terminal && drawnWidth > 0) {
            out.println();
            drawnWidth = 0;
        }
    }

    private double speed(long now) {
        long[] first = samples.peekFirst();
        long[] last = samples.peekLast();
        if (first == null || last == null || last[0] - first[0] <= 0) {
            return 0;
        }
        return (last[1] - first[1]) / ((last[0] - first[0]) / 1e9);
    }

    static String size(long bytes) {
        if (bytes >= 1_000_000_000L) {
            return String.format(Locale.ROOT, "%.2f GB", bytes / 1e9);
        }
        if (bytes >= 1_000_000L) {
            return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
        }
        if (bytes >= 1_000L) {
            return String.format(Locale.ROOT, "%.1f kB", bytes / 1e3);
        }
        return bytes + " B";
    }

    private static String rate(double bytesPerSecond) {
        return String.format(Locale.ROOT, "%.1f MB/s", bytesPerSecond / 1e6);
    }

    private static String eta(long remaining, double speed) {
        if (speed <= 0) {
            return "--:--";
        }
        return duration((long) Math.ceil(remaining / speed));
    }

    static String duration(long seconds) {
        long h = seconds / 3600;
        long m = seconds / 60 % 60;
        long s = seconds % 60;
        return h > 0 ? String.format(Locale.ROOT, "%d:%02d:%02d", h, m, s)
                : String.format(Locale.ROOT, "%d:%02d", m, s);
    }
}
