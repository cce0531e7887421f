package dev.petrel.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The real llama.cpp, run as the numerical reference: node-llama-cpp's prebuilt CPU build,
 * driven by {@code reference.mjs} in a Node.js child process that keeps models loaded between
 * requests.
 *
 * <pre>{@code
 * try (LlamaCppReference llama = LlamaCppReference.start();
 *      LlamaCppReference.Model model = llama.load(gguf)) {
 *     Generation g = model.greedy(new int[] {1, 2, 3}, 32);
 *     List<Distribution> d = model.teacherForced(ids);
 * }
 * }</pre>
 *
 * <p>llama.cpp is configured for exact comparisons: CPU only, F32 key and value cache, flash
 * attention off, a fixed thread count (default {@value #DEFAULT_THREADS}, see
 * {@link Options#defaults()}), no context shift (a request that does not fit the context
 * fails).
 *
 * <p>Where things are found:
 * <ul>
 *   <li>the install folder (holding {@code reference.mjs} and {@code node_modules}): the
 *       system property {@value #DIR_PROPERTY}, else the environment variable
 *       {@value #DIR_ENV}, else {@code conformance/llama-cpp} in the working directory or the
 *       nearest parent that has one;</li>
 *   <li>Node.js: the system property {@value #NODE_PROPERTY}, else {@value #NODE_ENV}, else
 *       {@code node} on the {@code PATH}.</li>
 * </ul>
 * When either is missing, {@link #start} throws a {@link ReferenceUnavailableException} that
 * says to run {@value #SETUP_SCRIPT}.
 */
public final class LlamaCppReference implements AutoCloseable {

    /** The script that installs the reference (idempotent). */
    public static final String SETUP_SCRIPT = "scripts/setup-llama-cpp";
    /** System property: the folder with {@code reference.mjs} and its {@code node_modules}. */
    public static final String DIR_PROPERTY = "petrel.llamacpp.dir";
    /** Environment variable: the same folder. */
    public static final String DIR_ENV = "PETREL_LLAMA_CPP_DIR";
    /** System property: the {@code node} executable. */
    public static final String NODE_PROPERTY = "petrel.node";
    /** Environment variable: the {@code node} executable. */
    public static final String NODE_ENV = "PETREL_NODE";
    /** System property: {@code true} copies llama.cpp's log to standard error. */
    public static final String VERBOSE_PROPERTY = "petrel.llamacpp.verbose";
    /** The node-llama-cpp version the harness is written and checked against. */
    public static final String NODE_LLAMA_CPP_VERSION = "3.22.1";
    /** System property: the threads llama.cpp computes with (default {@value #DEFAULT_THREADS}). */
    public static final String THREADS_PROPERTY = "petrel.llamacpp.threads";
    /**
     * Threads llama.cpp uses unless told otherwise: one, because the test models are tiny and
     * ggml's threads wait for each other at every operation, which costs seconds per request
     * on a busy machine. llama.cpp's results do not depend on the thread count.
     */
    public static final int DEFAULT_THREADS = 1;

    private static final String SCRIPT = "reference.mjs";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Object EOF = new Object();
    private static final int STDERR_LINES = 60;

    /**
     * How to start the reference.
     *
     * @param threads threads llama.cpp computes with
     * @param timeout longest wait for one answer (model load included)
     * @param logLevel llama.cpp's log level: error, warn, info or debug
     */
    public record Options(int threads, Duration timeout, String logLevel) {

        public Options {
            if (threads < 1) {
                throw new IllegalArgumentException("threads must be at least 1, found " + threads);
            }
            Objects.requireNonNull(timeout, "timeout");
            Objects.requireNonNull(logLevel, "logLevel");
        }

        /**
         * Threads from {@value #THREADS_PROPERTY} (default {@value #DEFAULT_THREADS}), two
         * minutes per answer, warnings and errors logged.
         */
        public static Options defaults() {
            return new Options(Integer.getInteger(THREADS_PROPERTY, DEFAULT_THREADS), Duration.ofMinutes(2), "warn");
        }

        public Options withThreads(int value) {
            return new Options(value, timeout, logLevel);
        }

        public Options withTimeout(Duration value) {
            return new Options(threads, value, logLevel);
        }

        public Options withLogLevel(String value) {
            return new Options(threads, timeout, value);
        }
    }

    private final Process process;
    private final BufferedWriter stdin;
    private final BlockingQueue<Object> replies = new LinkedBlockingQueue<>();
    private final Deque<String> stderrTail = new ArrayDeque<>();
    private final Options options;
    private final JsonNode ready;
    private long nextId = 1;
    private boolean closed;

    private LlamaCppReference(Process process, Options options) {
        this.process = process;
        this.options = options;
        this.stdin = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
        boolean verbose = Boolean.getBoolean(VERBOSE_PROPERTY);
        Thread.ofPlatform().daemon().name("llama.cpp-stdout").start(() -> {
            try (BufferedReader r = process.inputReader(StandardCharsets.UTF_8)) {
                for (String line; (line = r.readLine()) != null; ) {
                    replies.add(line);
                }
            } catch (IOException e) {
                // the process is gone; EOF below tells the waiting request
            } finally {
                replies.add(EOF);
            }
        });
        Thread.ofPlatform().daemon().name("llama.cpp-stderr").start(() -> {
            try (BufferedReader r = process.errorReader(StandardCharsets.UTF_8)) {
                for (String line; (line = r.readLine()) != null; ) {
                    synchronized (stderrTail) {
                        stderrTail.addLast(line);
                        if (stderrTail.size() > STDERR_LINES) {
                            stderrTail.removeFirst();
                        }
                    }
                    if (verbose) {
                        System.err.println(line);
                    }
                }
            } catch (IOException e) {
                // nothing more to read
            }
        });
        try {
            this.ready = awaitReply(null, "start");
        } catch (RuntimeException e) {
            process.destroyForcibly();
            throw new ReferenceUnavailableException("llama.cpp (node-llama-cpp) did not start: " + e.getMessage()
                    + "\nIf it is not installed, run " + SETUP_SCRIPT + " from the repository root.", e);
        }
    }

    /** Starts the reference with {@link Options#defaults()}. */
    public static LlamaCppReference start() {
        return start(Options.defaults());
    }

    /**
     * Starts a Node.js process running llama.cpp.
     *
     * @throws ReferenceUnavailableException if Node.js or the installed package is missing,
     *     or the process does not start
     */
    public static LlamaCppReference start(Options options) {
        Path dir = locateInstall();
        String node = locateNode();
        ProcessBuilder pb = new ProcessBuilder(node, SCRIPT, "--threads", Integer.toString(options.threads()),
                "--log-level", options.logLevel());
        pb.directory(dir.toFile());
        // node-llama-cpp must never try to download or build anything in a test run
        pb.environment().put("NODE_LLAMA_CPP_SKIP_DOWNLOAD", "true");
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new ReferenceUnavailableException("cannot run " + node + " " + dir.resolve(SCRIPT) + ": " + e.getMessage(), e);
        }
        return new LlamaCppReference(process, options);
    }

    /**
     * Whether the reference is installed (Node.js found, node-llama-cpp in place); starts
     * nothing. The reason it is not is the message of {@link #start}'s exception.
     */
    public static boolean installed() {
        try {
            locateInstall();
            locateNode();
            return true;
        } catch (ReferenceUnavailableException e) {
            return false;
        }
    }

    /** The install folder (with {@code reference.mjs} and node-llama-cpp), checked. */
    public static Path locateInstall() {
        Path dir;
        String configured = System.getProperty(DIR_PROPERTY);
        if (configured == null || configured.isBlank()) {
            configured = System.getenv(DIR_ENV);
        }
        if (configured != null && !configured.isBlank()) {
            dir = Path.of(configured).toAbsolutePath().normalize();
        } else {
            dir = null;
            for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
                Path candidate = p.resolve("conformance").resolve("llama-cpp");
                if (Files.isRegularFile(candidate.resolve(SCRIPT))) {
                    dir = candidate;
                    break;
                }
            }
            if (dir == null) {
                throw new ReferenceUnavailableException("cannot find conformance/llama-cpp/" + SCRIPT + " in "
                        + Path.of("").toAbsolutePath() + " or its parents; set -D" + DIR_PROPERTY + " or " + DIR_ENV
                        + " to the folder, and run " + SETUP_SCRIPT + " to install llama.cpp there");
            }
        }
        return checkInstall(dir);
    }

    /** Checks that {@code dir} holds the script and the pinned node-llama-cpp; returns it. */
    static Path checkInstall(Path dir) {
        if (!Files.isRegularFile(dir.resolve(SCRIPT))) {
            throw new ReferenceUnavailableException(dir.resolve(SCRIPT) + " does not exist (" + DIR_PROPERTY + "/" + DIR_ENV
                    + " must name the conformance/llama-cpp folder)");
        }
        Path pkg = dir.resolve("node_modules/node-llama-cpp/package.json");
        Path binary = dir.resolve("node_modules/@node-llama-cpp/linux-x64/package.json");
        if (!Files.isRegularFile(pkg) || !Files.isRegularFile(binary)) {
            throw new ReferenceUnavailableException("llama.cpp is not installed in " + dir + " (no node-llama-cpp "
                    + NODE_LLAMA_CPP_VERSION + " with its linux-x64 binary in node_modules): run " + SETUP_SCRIPT
                    + " from the repository root (needs npm and the npm registry, about 85 MB)");
        }
        try {
            String version = JSON.readTree(pkg.toFile()).path("version").asText();
            if (!NODE_LLAMA_CPP_VERSION.equals(version)) {
                throw new ReferenceUnavailableException(dir + " holds node-llama-cpp " + version + ", the harness needs "
                        + NODE_LLAMA_CPP_VERSION + ": run " + SETUP_SCRIPT + " again");
            }
        } catch (IOException e) {
            throw new ReferenceUnavailableException("cannot read " + pkg + ": " + e.getMessage(), e);
        }
        return dir;
    }

    /** The {@code node} executable: configured, or found on the {@code PATH}. */
    public static String locateNode() {
        String configured = System.getProperty(NODE_PROPERTY);
        if (configured == null || configured.isBlank()) {
            configured = System.getenv(NODE_ENV);
        }
        if (configured != null && !configured.isBlank()) {
            if (!Files.isExecutable(Path.of(configured))) {
                throw new ReferenceUnavailableException(configured + " (from " + NODE_PROPERTY + "/" + NODE_ENV
                        + ") is not an executable");
            }
            return configured;
        }
        String path = System.getenv("PATH");
        if (path != null) {
            for (String entry : path.split(File.pathSeparator)) {
                if (entry.isEmpty()) {
                    continue;
                }
                for (String name : List.of("node", "node.exe")) {
                    Path candidate = Path.of(entry, name);
                    if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                        return candidate.toString();
                    }
                }
            }
        }
        throw new ReferenceUnavailableException("Node.js (node, version 20 or newer) is not on the PATH; install it, or set -D"
                + NODE_PROPERTY + " or " + NODE_ENV + ", then run " + SETUP_SCRIPT);
    }

    /** The llama.cpp release inside node-llama-cpp, as it reports it. */
    public String llamaCppRelease() {
        return ready.path("llamaCppRelease").asText("unknown");
    }

    /** What the process reported when it started (versions, threads, build type). */
    public JsonNode startInfo() {
        return ready.deepCopy();
    }

    public Options options() {
        return options;
    }

    /** Loads a GGUF file with a context of 512 tokens. */
    public Model load(Path gguf) {
        return load(gguf, 512);
    }

    /**
     * Loads a GGUF file with a context of at least {@code contextSize} tokens (llama.cpp may
     * round it up), F32 KV cache and flash attention off.
     */
    public Model load(Path gguf, int contextSize) {
        ObjectNode request = JSON.createObjectNode();
        request.put("path", gguf.toAbsolutePath().toString());
        request.put("contextSize", contextSize);
        request.put("threads", options.threads());
        request.put("kvType", "F32");
        request.put("flashAttention", false);
        JsonNode reply = call("load", request);
        return new Model(reply, gguf.getFileName().toString(), 40, false);
    }

    /** Sends one request and returns its reply; {@code request} must not hold "id" or "op". */
    synchronized JsonNode call(String op, ObjectNode request) {
        if (closed) {
            throw new IllegalStateException("the llama.cpp reference is closed");
        }
        long id = nextId++;
        ObjectNode message = JSON.createObjectNode();
        message.put("id", id);
        message.put("op", op);
        message.setAll(request);
        try {
            stdin.write(JSON.writeValueAsString(message));
            stdin.write('\n');
            stdin.flush();
        } catch (IOException e) {
            throw new ReferenceException("cannot send " + op + " to llama.cpp (the process ended?)" + stderr(), e);
        }
        JsonNode reply = awaitReply(id, op);
        if (!reply.path("ok").asBoolean(false)) {
            throw new ReferenceException("llama.cpp failed " + op + ": " + reply.path("error").asText("(no message)"));
        }
        return reply;
    }

    private JsonNode awaitReply(Long id, String what) {
        long deadline = System.nanoTime() + options.timeout().toNanos();
        while (true) {
            Object item;
            try {
                item = replies.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ReferenceException("interrupted waiting for llama.cpp's answer to " + what, e);
            }
            if (item == null) {
                throw new ReferenceException("llama.cpp gave no answer to " + what + " within " + options.timeout() + stderr());
            }
            if (item == EOF) {
                replies.add(EOF);
                throw new ReferenceException("llama.cpp's process ended before answering " + what + exitStatus() + stderr());
            }
            JsonNode node;
            try {
                node = JSON.readTree((String) item);
            } catch (IOException e) {
                throw new ReferenceException("llama.cpp wrote a line that is not JSON: " + item, e);
            }
            if (id == null) {
                if (node.path("ready").asBoolean(false)) {
                    return node;
                }
                throw new ReferenceException("expected the ready line first, got " + item);
            }
            if (node.path("id").asLong(-1) == id) {
                return node;
            }
            // an answer to an earlier request that timed out: skip it
        }
    }

    private String exitStatus() {
        try {
            if (process.waitFor(2, TimeUnit.SECONDS)) {
                return " (exit status " + process.exitValue() + ")";
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return "";
    }

    private String stderr() {
        synchronized (stderrTail) {
            return stderrTail.isEmpty() ? "" : "\nllama.cpp's standard error ends with:\n" + String.join("\n", stderrTail);
        }
    }

    /** Stops the process (models are freed with it). */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            stdin.write("{\"id\":0,\"op\":\"shutdown\"}\n");
            stdin.flush();
            stdin.close();
        } catch (IOException e) {
            // already gone
        }
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroy();
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "llama.cpp " + llamaCppRelease() + " (node-llama-cpp " + NODE_LLAMA_CPP_VERSION + ", " + options.threads()
                + " threads)";
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }

    private static float[] floats(JsonNode array) {
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = array.get(i);
            out[i] = v.isNull() ? Float.NaN : (float) v.asDouble();
        }
        return out;
    }

    private static ArrayNode array(int[] ids) {
        ArrayNode a = JSON.createArrayNode();
        for (int id : ids) {
            a.add(id);
        }
        return a;
    }

    private static Distribution distribution(JsonNode node) {
        JsonNode all = node.get("all");
        return new Distribution(node.path("token").asInt(-1), ints(node.path("top")), floats(node.path("logits")),
                all == null ? null : floats(all));
    }

    /**
     * A model loaded in llama.cpp, as a {@link LogitsSource}. Views made by
     * {@link #withTopK} and {@link #withFullLogits} share the loaded model; closing any of them
     * unloads it.
     */
    public final class Model implements LogitsSource, AutoCloseable {

        private final JsonNode info;
        private final String handle;
        private final String fileName;
        private final int topK;
        private final boolean full;

        private Model(JsonNode info, String fileName, int topK, boolean full) {
            this.info = info;
            this.handle = info.path("handle").asText();
            this.fileName = fileName;
            this.topK = topK;
            this.full = full;
        }

        /** A view returning the {@code k} highest logits per position (default 40). */
        public Model withTopK(int k) {
            if (k < 1) {
                throw new IllegalArgumentException("k must be at least 1");
            }
            return new Model(info, fileName, k, full);
        }

        /** A view returning every logit of every position (slower: the whole vocabulary crosses the pipe). */
        public Model withFullLogits() {
            return new Model(info, fileName, topK, true);
        }

        /** What llama.cpp reported on loading: context size, threads, flash attention, BOS/EOS, description. */
        public JsonNode info() {
            return info.deepCopy();
        }

        /** The context size llama.cpp allocated. */
        public int contextSize() {
            return info.path("contextSize").asInt();
        }

        /** llama.cpp's tokenization of {@code text}, without BOS/EOS and without parsing special tokens. */
        public int[] tokenize(String text) {
            ObjectNode request = JSON.createObjectNode();
            request.put("handle", handle);
            request.put("text", text);
            return ints(call("tokenize", request).path("ids"));
        }

        /** llama.cpp's text for {@code ids}. */
        public String detokenize(int[] ids) {
            ObjectNode request = JSON.createObjectNode();
            request.put("handle", handle);
            request.set("ids", array(ids));
            return call("detokenize", request).path("text").asText();
        }

        @Override
        public Generation greedy(int[] prompt, int steps) {
            return greedy(prompt, steps, new int[0]);
        }

        /** Greedy generation that stops after emitting any id of {@code stopAt}. */
        public Generation greedy(int[] prompt, int steps, int[] stopAt) {
            ObjectNode request = JSON.createObjectNode();
            request.put("handle", handle);
            request.set("prompt", array(prompt));
            request.put("steps", steps);
            request.put("topK", topK);
            request.put("full", full);
            request.set("stopAt", array(stopAt));
            JsonNode reply = call("generate", request);
            List<Distribution> distributions = new ArrayList<>();
            reply.path("steps").forEach(step -> distributions.add(distribution(step)));
            return new Generation(ints(reply.path("ids")), distributions);
        }

        @Override
        public List<Distribution> teacherForced(int[] ids) {
            ObjectNode request = JSON.createObjectNode();
            request.put("handle", handle);
            request.set("ids", array(ids));
            request.put("topK", topK);
            request.put("full", full);
            JsonNode reply = call("evaluate", request);
            List<Distribution> positions = new ArrayList<>();
            reply.path("positions").forEach(p -> positions.add(distribution(p)));
            return positions;
        }

        @Override
        public String describe() {
            return "llama.cpp " + llamaCppRelease() + " on " + fileName;
        }

        /** Unloads the model (all views of it). */
        @Override
        public void close() {
            if (closed) {
                return;
            }
            ObjectNode request = JSON.createObjectNode();
            request.put("handle", handle);
            try {
                call("unload", request);
            } catch (ReferenceException e) {
                if (!e.getMessage().contains("no model loaded")) {
                    throw e;
                }
            }
        }

        @Override
        public String toString() {
            return describe();
        }
    }
}
