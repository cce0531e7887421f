package dev.petrel.models.internal;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Hugging Face Hub on loopback (the JDK's HttpServer): serves one file at
 * {@code /owner/repo/resolve/main/model.gguf}, directly or through a redirect to a second
 * server standing for the storage host, with the behaviours a real download meets (Range or not, ETag or
 * X-Linked-Etag, a connection dropped midway, 404). Records what clients asked.
 */
final class FakeHub implements AutoCloseable {

    static final String RESOLVE_PATH = "/owner/repo/resolve/main/model.gguf";
    static final String STORAGE_PATH = "/storage/blob";

    final byte[] content;
    final String sha256;
    final List<String> rangeHeaders = new CopyOnWriteArrayList<>();
    final List<String> authorizationHeaders = new CopyOnWriteArrayList<>();
    final AtomicInteger contentRequests = new AtomicInteger();

    /** Honour Range requests with 206 (else answer 200 with the whole file). */
    volatile boolean honorRange = true;
    /** The ETag header of the file (quoted), or null for none. */
    volatile String etag;
    /** Redirect the resolve URL to the storage server, with X-Linked-* headers. */
    volatile boolean redirect;
    /** Close the connection after this many bytes of the body, for the next {@link #drops} replies. */
    volatile int dropAfter = -1;
    final AtomicInteger drops = new AtomicInteger();
    /** Stop sending (without closing) after {@link #dropAfter} bytes, for as long as this says. */
    volatile long stallMillis;
    /** Answer every request with this status instead (404). */
    volatile int forcedStatus;

    private final HttpServer server;
    private final HttpServer storage;
    private final ExecutorService executor = Executors.newCachedThreadPool();

    FakeHub(int size, long seed) throws IOException {
        content = new byte[size];
        new Random(seed).nextBytes(content);
        sha256 = sha256(content);
        etag = "\"" + sha256 + "\"";
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
        storage = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        storage.createContext("/", this::handle);
        storage.setExecutor(executor);
        storage.start();
    }

    /** The Hub's base URL (the storage server listens on another port). */
    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            exchange.getRequestBody().readAllBytes();
            String path = exchange.getRequestURI().getRawPath();
            authorizationHeaders.add(path + " " + exchange.getRequestHeaders().getFirst("Authorization"));
            if (forcedStatus != 0) {
                exchange.sendResponseHeaders(forcedStatus, -1);
                return;
            }
            if (path.equals(RESOLVE_PATH) && redirect) {
                exchange.getResponseHeaders().add("Location",
                        "http://127.0.0.1:" + storage.getAddress().getPort() + STORAGE_PATH + "?signed=1");
                if (etag != null) {
                    exchange.getResponseHeaders().add("X-Linked-Etag", etag);
                }
                exchange.getResponseHeaders().add("X-Linked-Size", String.valueOf(content.length));
                exchange.getResponseHeaders().add("ETag", "\"0123456789abcdef0123456789abcdef01234567\"");
                exchange.sendResponseHeaders(302, -1);
                return;
            }
            if (!path.equals(RESOLVE_PATH) && !path.equals(STORAGE_PATH)) {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            serveContent(exchange, path.equals(STORAGE_PATH));
        }
    }

    private void serveContent(HttpExchange exchange, boolean storage) throws IOException {
        contentRequests.incrementAndGet();
        String range = exchange.getRequestHeaders().getFirst("Range");
        rangeHeaders.add(String.valueOf(range));
        if (storage) {
            exchange.getResponseHeaders().add("ETag", "\"storage-etag-not-a-sha\"");
        } else if (etag != null) {
            exchange.getResponseHeaders().add("ETag", etag);
        }
        int from = 0;
        Matcher m = range == null ? null : Pattern.compile("bytes=(\\d+)-").matcher(range);
        if (honorRange && m != null && m.matches()) {
            from = Integer.parseInt(m.group(1));
            if (from >= content.length) {
                exchange.getResponseHeaders().add("Content-Range", "bytes */" + content.length);
                exchange.sendResponseHeaders(416, -1);
                return;
            }
            exchange.getResponseHeaders().add("Content-Range",
                    "bytes " + from + "-" + (content.length - 1) + "/" + content.length);
        }
        int length = content.length - from;
        exchange.sendResponseHeaders(from > 0 ? 206 : 200, length);
        OutputStream body = exchange.getResponseBody();
        int limit = dropAfter >= 0 && drops.getAndDecrement() > 0 ? Math.min(dropAfter, length) : length;
        body.write(content, from, limit);
        body.flush();
        if (limit < length) {
            if (stallMillis > 0) {
                sleep(stallMillis);
            }
            throw new IOException("dropping the connection on purpose"); // closes it mid-body
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        server.stop(0);
        storage.stop(0);
        executor.shutdownNow();
    }
}
