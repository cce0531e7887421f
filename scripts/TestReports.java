import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Totals every JUnit XML report under a folder (Surefire's and bnd-testing's, which
 * prints no summary of its own) and prints {@code N passed, N failed} as its last line.
 * Skipped tests count as failed: a check that did not run proves nothing.
 * Exits 1 when a test failed or no report was found.
 */
public class TestReports {
    private static final Pattern SUITE = Pattern.compile("<testsuite\\b([^>]*)>");

    public static void main(String[] args) throws IOException {
        Path root = Path.of(args.length > 0 ? args[0] : ".");
        long tests = 0, failed = 0, skipped = 0;
        List<Path> reports;
        try (Stream<Path> files = Files.walk(root)) {
            reports = files.filter(p -> p.getFileName().toString().matches("TEST-.*\\.xml"))
                    .filter(p -> p.toString().contains("target"))
                    .sorted().toList();
        }
        for (Path report : reports) {
            Matcher m = SUITE.matcher(Files.readString(report));
            if (!m.find()) {
                System.out.println("unreadable report: " + root.relativize(report));
                failed++;
                continue;
            }
            String attrs = m.group(1);
            long t = attr(attrs, "tests"), f = attr(attrs, "failures") + attr(attrs, "errors"), s = attr(attrs, "skipped");
            System.out.printf("%-90s %4d tests %3d failed %3d skipped%n", root.relativize(report), t, f, s);
            tests += t;
            failed += f;
            skipped += s;
        }
        if (skipped > 0) {
            System.out.println(skipped + " skipped (counted as failed)");
        }
        long passed = tests - failed - skipped;
        System.out.println(passed + " passed, " + (failed + skipped) + " failed");
        System.exit(reports.isEmpty() || failed + skipped > 0 ? 1 : 0);
    }

    private static long attr(String attrs, String name) {
        Matcher m = Pattern.compile("\\b" + name + "=\"(\\d+)\"").matcher(attrs);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }
}
