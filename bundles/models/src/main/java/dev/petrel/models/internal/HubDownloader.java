package dev.petrel.models.internal;

import dev.petrel.models.DownloadListener;
import dev.petrel.models.HubReference;
import dev.petrel.models.ModelResolutionException;
import dev.petrel.models.ModelResolutionException.Reason;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Downloads one file of a Hugging Face repository into the cache.
 *
 * <p>The bytes go to {@code FILE.part}; an interrupted transfer is resumed with an HTTP
 * {@code Range} request (206 appends; a 200 means the server ignored the range, so the file
 * starts over). The size is checked against {@code Content-Length} or the total of
 * {@code Content-Range}, and the SHA-256 against the one the Hub announces: the resolve URL
 * answers with {@code X-Linked-Etag} (or, when it serves the file itself, {@code ETag}) set to
 * the SHA-256 of an LFS file, which is every model file; the redirect to the storage host
 * carries it. When no SHA-256 is announced, the one computed is recorded in
 * {@code FILE.sha256}. The complete file is then moved into place atomically, so a file in
 * the cache is always whole. Redirects are followed here, not by the HTTP client, so a
 * token goes to the Hub only, never to the storage host.
 */
final class HubDownloader {

    /** Where and how to download. */
    record Settings(URI endpoint, Path modelsDirectory, String token, int retries,
            Duration retryDelay, Duration connectTimeout, Duration stallTimeout) {

        Settings {
            Objects.requireNonNull(endpoint, "endpoint");
            Objects.requireNonNull(modelsDirectory, "modelsDirectory");
            Objects.requireNonNull(retryDelay, "retryDelay");
            Objects.requireNonNull(connectTimeout, "connectTimeout");
            Objects.requireNonNull(stallTimeout, "stallTimeout");
            if (retries < 0) {
                throw new IllegalArgumentException("retries < 0");
            }
        }
    }

    private static final int MAX_REDIRECTS = 10;
    private static final int BUFFER = 1 << 20;
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");
    private static final Pattern UNSATISFIED_RANGE = Pattern.compile("bytes \\*/(\\d+)");
    private static final ConcurrentHashMap<Path, ReentrantLock> IN_PROGRESS = new ConcurrentHashMap<>();

    private final Settings settings;

    HubDownloader(Settings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    Settings settings() {
        return settings;
    }

    /** The cached file, downloaded first when it is not there yet. */
    Path fetch(HubReference ref, DownloadListener listener) {
        Path target = ref.cachePath(settings.modelsDirectory());
        if (Files.isRegularFile(target)) {
            return target;
        }
        ReentrantLock lock = IN_PROGRESS.computeIfAbsent(target, t -> new ReentrantLock());
        lock.lock();
        try {
            Files.createDirectories(target.getParent());
            // another process (a second console) downloading the same file waits here
            try (FileChannel lockChannel = FileChannel.open(sibling(target, ".lock"),
                    StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    FileLock held = lockChannel.lock()) {
                if (Files.isRegularFile(target)) {
                    return target;
                }
                return download(ref, target, listener);
            }
        } catch (IOException e) {
            throw new ModelResolutionException(Reason.IO, "cannot write the model cache at "
                    + target.getParent() + " for " + ref + ": " + e, e);
        } finally {
            lock.unlock();
        }
    }

    private Path download(HubReference ref, Path target, DownloadListener listener) throws IOException {
        URI uri = ref.resolveUri(settings.endpoint());
        Path part = sibling(target, ".part");
        Path tagFile = sibling(target, ".part.etag");
        HttpClient.Builder builder = HttpClient.newBuilder()
                .connectTimeout(settings.connectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER);
        if (!"https".equalsIgnoreCase(uri.getScheme())) {
            builder.version(HttpClient.Version.HTTP_1_1);
        }
        try (HttpClient client = builder.build()) {
            for (int attempt = 0; ; attempt++) {
                try {
                    return transfer(client, ref, uri, target, part, tagFile, listener);
                } catch (BrokenTransfer e) {
                    if (attempt >= settings.retries()) {
                        long kept = Files.exists(part) ? Files.size(part) : 0;
                        throw new ModelResolutionException(Reason.INTERRUPTED, "download of " + ref
                                + " from " + uri + " failed: " + e.getMessage()
                                + (kept > 0 ? "; the " + kept + " bytes received are kept in " + part
                                        + " and the next try resumes from there" : ""), e);
                    }
                    long delay = settings.retryDelay().toMillis() << Math.min(attempt, 6);
                    listener.retrying(e.getMessage(), attempt + 1, delay);
                    sleep(delay, ref);
                }
            }
        }
    }

    private Path transfer(HttpClient client, HubReference ref, URI uri, Path target, Path part,
            Path tagFile, DownloadListener listener) throws IOException, BrokenTransfer {
        long have = Files.exists(part) ? Files.size(part) : 0;
        String recordedTag = have > 0 && Files.exists(tagFile)
                ? Files.readString(tagFile, StandardCharsets.UTF_8).strip() : null;
        Reply reply = open(client, ref, uri, have);
        try (InputStream body = reply.body()) {
            int status = reply.status();
            if (status == 416 && have > 0) {
                long total = unsatisfiedRangeTotal(reply.headers());
                if (total == have && (recordedTag == null || recordedTag.equals(reply.tag()))) {
                    listener.started(ref, target, have, total);
                    return complete(ref, target, part, tagFile, have, hashFile(part), reply.sha256(), listener);
                }
                discard(part, tagFile);
                throw new BrokenTransfer("the server would not resume at byte " + have + "; starting over");
            }
            checkStatus(ref, reply);
            boolean append;
            long total;
            if (status == 206) {
                Matcher range = CONTENT_RANGE.matcher(reply.headers().firstValue("Content-Range").orElse(""));
                if (have == 0 || !range.matches() || Long.parseLong(range.group(1)) != have) {
                    discard(part, tagFile);
                    throw new BrokenTransfer("the server resumed at another byte than " + have
                            + " (Content-Range: " + reply.headers().firstValue("Content-Range").orElse("none")
                            + "); starting over");
                }
                if (recordedTag != null && reply.tag() != null && !recordedTag.equals(reply.tag())) {
                    discard(part, tagFile);
                    throw new BrokenTransfer("the file changed on the server since the partial download;"
                            + " starting over");
                }
                append = true;
                total = range.group(3).equals("*") ? reply.linkedSize() : Long.parseLong(range.group(3));
            } else {
                append = false; // a full reply: no partial file, or a server that ignores Range
                total = reply.headers().firstValueAsLong("Content-Length").orElse(reply.linkedSize());
            }
            if (reply.tag() != null) {
                Files.writeString(tagFile, reply.tag() + "\n", StandardCharsets.UTF_8);
            } else {
                Files.deleteIfExists(tagFile);
            }
            MessageDigest sha = sha256();
            long start = append ? have : 0;
            if (append) {
                hashInto(part, sha);
            }
            listener.started(ref, target, start, total);
            long size = copy(body, part, append, start, total, sha, listener);
            if (total >= 0 && size < total) {
                throw new BrokenTransfer("the connection closed after " + size + " of " + total + " bytes");
            }
            if (total >= 0 && size > total) {
                discard(part, tagFile);
                throw new ModelResolutionException(Reason.SIZE_MISMATCH, "download of " + ref + " from "
                        + reply.uri() + " gave " + size + " bytes, but the server announced " + total
                        + "; the partial file was removed, try again");
            }
            return complete(ref, target, part, tagFile, size, HexFormat.of().formatHex(sha.digest()),
                    reply.sha256(), listener);
        }
    }

    /** Streams the body into the partial file; the size of the file when the body ends. */
    private long copy(InputStream body, Path part, boolean append, long start, long total,
            MessageDigest sha, DownloadListener listener) throws IOException, BrokenTransfer {
        AtomicLong lastData = new AtomicLong(System.nanoTime());
        AtomicBoolean stalled = new AtomicBoolean();
        Thread reader = Thread.currentThread();
        long stallNanos = settings.stallTimeout().toNanos();
        Thread watchdog = Thread.ofVirtual().name("petrel-download-watchdog").start(() -> {
            try {
                while (true) {
                    Thread.sleep(Math.max(10, settings.stallTimeout().toMillis() / 4));
                    if (System.nanoTime() - lastData.get() > stallNanos) {
                        stalled.set(true);
                        reader.interrupt();
                        return;
                    }
                }
            } catch (InterruptedException e) {
                // the transfer ended
            }
        });
        long size = start;
        try (FileChannel out = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
            byte[] buffer = new byte[BUFFER];
            while (true) {
                int n;
                try {
                    n = body.read(buffer);
                } catch (IOException e) {
                    throw broken(e, stalled, size, total);
                }
                if (n < 0) {
                    break;
                }
                lastData.set(System.nanoTime());
                sha.update(buffer, 0, n);
                ByteBuffer bytes = ByteBuffer.wrap(buffer, 0, n);
                while (bytes.hasRemaining()) {
                    out.write(bytes);
                }
                size += n;
                listener.progress(size, total);
            }
        } finally {
            watchdog.interrupt();
            boolean interrupted = false;
            while (watchdog.isAlive()) {
                try {
                    watchdog.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (stalled.get()) {
                Thread.interrupted(); // the watchdog's interrupt, not the caller's
            } else if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        return size;
    }

    private BrokenTransfer broken(IOException e, AtomicBoolean stalled, long size, long total) {
        String of = total >= 0 ? size + " of " + total : String.valueOf(size);
        if (stalled.get()) {
            return new BrokenTransfer("no data for " + settings.stallTimeout().toSeconds() + " s after "
                    + of + " bytes");
        }
        if (Thread.currentThread().isInterrupted() || e instanceof InterruptedIOException) {
            Thread.currentThread().interrupt();
            throw new ModelResolutionException(Reason.INTERRUPTED, "download cancelled after " + of
                    + " bytes; the next try resumes from there", e);
        }
        return new BrokenTransfer("the connection broke after " + of + " bytes (" + e.getMessage() + ")");
    }

    private Path complete(HubReference ref, Path target, Path part, Path tagFile, long size,
            String actualSha, String expectedSha, DownloadListener listener) throws IOException {
        if (expectedSha != null && !expectedSha.equals(actualSha)) {
            discard(part, tagFile);
            throw new ModelResolutionException(Reason.CHECKSUM_MISMATCH, "download of " + ref
                    + " is corrupt: SHA-256 " + actualSha + ", but the server announced " + expectedSha
                    + "; the file was removed, try again");
        }
        Files.writeString(sibling(target, ".sha256"), actualSha + "  " + target.getFileName() + "\n",
                StandardCharsets.UTF_8);
        try {
            Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(part, target, StandardCopyOption.REPLACE_EXISTING);
        }
        Files.deleteIfExists(tagFile);
        listener.finished(target, size, actualSha, expectedSha != null);
        return target;
    }

    /** What the server answered after the redirects, with what the first hops said. */
    private record Reply(int status, URI uri, HttpHeaders headers, InputStream body, String tag,
            String sha256, long linkedSize) {
    }

    private Reply open(HttpClient client, HubReference ref, URI uri, long have) throws BrokenTransfer {
        URI current = uri;
        String linkedTag = null;
        String firstTag = null;
        long linkedSize = -1;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpRequest.Builder request = HttpRequest.newBuilder(current)
                    .timeout(settings.connectTimeout().multipliedBy(4))
                    .header("User-Agent", "petrel")
                    .header("Accept-Encoding", "identity")
                    .GET();
            if (have > 0) {
                request.header("Range", "bytes=" + have + "-");
            }
            if (settings.token() != null && !settings.token().isBlank() && sameHost(current, settings.endpoint())) {
                request.header("Authorization", "Bearer " + settings.token());
            }
            HttpResponse<InputStream> response;
            try {
                response = client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            } catch (IOException e) {
                if (isOffline(e)) {
                    throw offline(ref, current, e);
                }
                throw new BrokenTransfer("request to " + current + " failed: " + e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ModelResolutionException(Reason.INTERRUPTED, "download of " + ref + " cancelled", e);
            }
            HttpHeaders headers = response.headers();
            if (hop == 0) {
                firstTag = normalizeTag(headers.firstValue("ETag").orElse(null));
            }
            if (linkedTag == null) {
                linkedTag = normalizeTag(headers.firstValue("X-Linked-Etag").orElse(null));
            }
            if (linkedSize < 0) {
                linkedSize = headers.firstValueAsLong("X-Linked-Size").orElse(-1);
            }
            int status = response.statusCode();
            if (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) {
                closeQuietly(response.body());
                String location = headers.firstValue("Location").orElseThrow(() -> new ModelResolutionException(
                        Reason.HTTP_ERROR, "HTTP " + status + " without a Location from " + uri));
                current = current.resolve(location);
                continue;
            }
            String tag = linkedTag != null ? linkedTag : firstTag;
            String sha = tag != null && SHA256.matcher(tag).matches() ? tag : null;
            return new Reply(status, current, headers, response.body(), tag, sha, linkedSize);
        }
        throw new ModelResolutionException(Reason.HTTP_ERROR, "more than " + MAX_REDIRECTS
                + " redirects from " + uri);
    }

    private void checkStatus(HubReference ref, Reply reply) {
        int status = reply.status();
        if (status == 200 || status == 206) {
            return;
        }
        closeQuietly(reply.body());
        if (status == 404) {
            throw new ModelResolutionException(Reason.NOT_FOUND, "not found on Hugging Face: " + ref
                    + " (HTTP 404 from " + reply.uri() + "); check the owner, repository, revision and"
                    + " file name, or pass a local file with --model PATH");
        }
        if (status == 401 || status == 403) {
            throw new ModelResolutionException(Reason.UNAUTHORIZED, "access denied to " + ref + " (HTTP "
                    + status + " from " + reply.uri() + "): the repository is gated or private; accept its"
                    + " terms on the Hub and set HF_TOKEN to an access token, or pass a local file with"
                    + " --model PATH");
        }
        throw new ModelResolutionException(Reason.HTTP_ERROR, "download of " + ref + " failed: HTTP "
                + status + " from " + reply.uri());
    }

    private ModelResolutionException offline(HubReference ref, URI uri, IOException e) {
        Path target = ref.cachePath(settings.modelsDirectory());
        return new ModelResolutionException(Reason.OFFLINE, "cannot download " + ref + ": " + uri.getHost()
                + " cannot be reached, this machine seems to be offline (" + describe(e) + "). Pass a"
                + " local model file instead with --model PATH, or copy the file to " + target
                + " and run again", e);
    }

    /** Whether a failure means no network at all (rather than a broken transfer). */
    static boolean isOffline(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof UnknownHostException || t instanceof ConnectException
                    || t instanceof NoRouteToHostException || t instanceof HttpConnectTimeoutException
                    || t instanceof UnresolvedAddressException) {
                return true;
            }
            String message = t.getMessage();
            if (message != null && message.toLowerCase(Locale.ROOT).contains("network is unreachable")) {
                return true;
            }
        }
        return false;
    }

    private static String describe(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof UnknownHostException) {
                return "unknown host " + t.getMessage();
            }
            if (t instanceof ConnectException || t instanceof NoRouteToHostException) {
                return "connection refused" + (t.getMessage() == null ? "" : ": " + t.getMessage());
            }
            if (t instanceof HttpConnectTimeoutException) {
                return "connection timed out";
            }
        }
        return String.valueOf(error);
    }

    /** Hugging Face writes an LFS file's SHA-256 as a quoted ETag, sometimes weak. */
    static String normalizeTag(String etag) {
        if (etag == null) {
            return null;
        }
        String tag = etag.strip();
        if (tag.startsWith("W/")) {
            tag = tag.substring(2);
        }
        if (tag.length() >= 2 && tag.startsWith("\"") && tag.endsWith("\"")) {
            tag = tag.substring(1, tag.length() - 1);
        }
        return tag.isEmpty() ? null : tag;
    }

    private static long unsatisfiedRangeTotal(HttpHeaders headers) {
        Matcher m = UNSATISFIED_RANGE.matcher(headers.firstValue("Content-Range").orElse(""));
        return m.matches() ? Long.parseLong(m.group(1)) : -1;
    }

    private static boolean sameHost(URI a, URI b) {
        return a.getHost() != null && a.getHost().equalsIgnoreCase(b.getHost()) && a.getPort() == b.getPort()
                && Objects.equals(a.getScheme(), b.getScheme());
    }

    private static Path sibling(Path target, String suffix) {
        return target.resolveSibling(target.getFileName() + suffix);
    }

    private static void discard(Path part, Path tagFile) throws IOException {
        Files.deleteIfExists(part);
        Files.deleteIfExists(tagFile);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    private static String hashFile(Path file) throws IOException {
        MessageDigest sha = sha256();
        hashInto(file, sha);
        return HexFormat.of().formatHex(sha.digest());
    }

    private static void hashInto(Path file, MessageDigest sha) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[BUFFER];
            for (int n; (n = in.read(buffer)) > 0; ) {
                sha.update(buffer, 0, n);
            }
        }
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException e) {
            // the body is not needed
        }
    }

    private static void sleep(long millis, HubReference ref) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ModelResolutionException(Reason.INTERRUPTED, "download of " + ref + " cancelled", e);
        }
    }

    /** A transfer that broke in a way worth resuming. */
    private static final class BrokenTransfer extends Exception {
        private static final long serialVersionUID = 1L;

        BrokenTransfer(String message) {
            super(message);
        }
    }
}
