package dev.petrel.itests.cli;

import dev.petrel.itests.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/** Runs the {@code ./petrel} script in a process, as a user would, and collects what it printed. */
final class Launcher {

    static final Path ROOT = TestData.repositoryRoot();
    private static final long TIMEOUT_SECONDS = 180;

    private Launcher() {
    }

    /** Exit status, standard output, and standard error without the JVM's incubator notice. */
    record Run(int status, String stdout, String stderr) {
    }

    static Run run(Path workDir, String... args) throws IOException, InterruptedException {
        return launch(workDir, "", Map.of(), args);
    }

    /** The command with {@code input} on standard input. */
    static Run runWithInput(Path workDir, String input, String... args) throws IOException, InterruptedException {
        return launch(workDir, input, Map.of(), args);
    }

    /** The command with extra environment variables. */
    static Run runWithEnvironment(Path workDir, Map<String, String> environment, String... args)
            throws IOException, InterruptedException {
        return launch(workDir, "", environment, args);
    }

    private static Run launch(Path workDir, String input, Map<String, String> environment, String[] args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(ROOT.resolve("petrel").toString());
        command.addAll(List.of(args));
        Path stdin = Files.writeString(Files.createTempFile(workDir, "stdin", ".txt"), input);
        Path out = Files.createTempFile(workDir, "stdout", ".txt");
        Path err = Files.createTempFile(workDir, "stderr", ".txt");
        ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile())
                .redirectInput(stdin.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile());
        builder.environment().putAll(environment);
        Process process = builder.start();
        if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("petrel " + String.join(" ", args) + " did not finish within "
                    + TIMEOUT_SECONDS + " s");
        }
        String stderr = Files.readAllLines(err).stream()
                .filter(line -> !line.startsWith("WARNING: Using incubator modules"))
                .collect(Collectors.joining("\n"));
        return new Run(process.exitValue(), Files.readString(out), stderr);
    }

    static Path testData() {
        return TestData.root();
    }
}
