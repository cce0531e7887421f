package dev.petrel.models.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.petrel.models.DownloadListener;
import dev.petrel.models.HubReference;
import dev.petrel.models.ModelResolutionException;
import dev.petrel.models.ModelResolutionException.Reason;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Downloads against a Hub on loopback; no real network. */
@Timeout(60)
class HubDownloaderTest {

    private static final HubReference REF = HubReference.parse("hf://owner/repo/model.gguf");
    private static final int SIZE = 3 * 1024 * 1024 + 123;

    @TempDir
    Path cache;
    private FakeHub hub;

    @BeforeEach
    void start() throws IOException {
        hub = new FakeHub(SIZE, 42);
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    private HubDownloader downloader(int retries) {
        return downloader(hub.endpoint(), retries, Duration.ofSeconds(30), null);
    }

    private HubDownloader downloader(URI endpoint, int retries, Duration stall, String token) {
        return new HubDownloader(new HubDownloader.Settings(endpoint, cache.resolve("models"), token, retries,
                Duration.ofMillis(10), Duration.ofSeconds(5), stall));
    }

    private Path target() {
        return REF.cachePath(cache.resolve("models"));
    }

    private static Path sibling(Path target, String suffix) {
        return target.resolveSibling(target.getFileName() + suffix);
    }

    /** Records what the downloader reports. */
    private static final class Recorder implements DownloadListener {
        final List<Long> startedAt = new ArrayList<>();
        final List<String> retries = new ArrayList<>();
        long lastDone = -1;
        long total = -2;
        String sha;
        Boolean verified;

        @Override
        public void started(HubReference reference, Path target, long resumedFrom, long totalBytes) {
            startedAt.add(resumedFrom);
            total = totalBytes;
        }

        @Override
        public void progress(long bytesDone, long totalBytes) {
            assertTrue(bytesDone >= lastDone, "progress went backwards");
            lastDone = bytesDone;
        }

        @Override
        public void retrying(String reason, int attempt, long delayMillis) {
            retries.add(reason);
        }

        @Override
        public void finished(Path file, long bytes, String sha256, boolean checksumVerified) {
            sha = sha256;
            verified = checksumVerified;
        }
    }

    @Test
    void fetch_downloadsWholeFileAndVerifiesSha256FromEtag() throws IOException {
        Recorder recorder = new Recorder();
        Path file = downloader(0).fetch(REF, recorder);

        assertEquals(cache.resolve("models/owner/repo/model.gguf"), file);
        assertArrayEquals(hub.content, Files.readAllBytes(file));
        assertEquals(hub.sha256, recorder.sha);
        assertEquals(Boolean.TRUE, recorder.verified);
        assertEquals(SIZE, recorder.total);
        assertEquals(SIZE, recorder.lastDone);
        assertEquals(hub.sha256 + "  model.gguf\n", Files.readString(sibling(file, ".sha256")));
        assertFalse(Files.exists(sibling(file, ".part")));
        assertFalse(Files.exists(sibling(file, ".part.etag")));
        assertEquals(List.of("null"), hub.rangeHeaders);
    }

    @Test
    void fetch_cachedFileNeedsNoNetwork() throws IOException {
        downloader(0).fetch(REF, DownloadListener.SILENT);
        hub.close();
        assertEquals(target(), downloader(0).fetch(REF, DownloadListener.SILENT));
        assertEquals(1, hub.contentRequests.get());
    }

    @Test
    void fetch_followsRedirectWithLinkedEtagAndSendsTokenOnlyToTheHub() throws IOException {
        hub.redirect = true;
        Recorder recorder = new Recorder();
        Path file = downloader(hub.endpoint(), 0, Duration.ofSeconds(30), "secret").fetch(REF, recorder);

        assertArrayEquals(hub.content, Files.readAllBytes(file));
        assertEquals(Boolean.TRUE, recorder.verified, "X-Linked-Etag is the SHA-256 to check");
        assertEquals(List.of(FakeHub.RESOLVE_PATH + " Bearer secret", FakeHub.STORAGE_PATH + " null"),
                hub.authorizationHeaders);
    }

    @Test
    void fetch_checksumMismatchRemovesTheFileAndFails() {
        hub.etag = "\"" + FakeHub.sha256(new byte[] {1, 2, 3}) + "\"";
        ModelResolutionException e = assertThrows(ModelResolutionException.class,
                () -> downloader(0).fetch(REF, DownloadListener.SILENT));

        assertEquals(Reason.CHECKSUM_MISMATCH, e.reason());
        assertTrue(e.getMessage().contains(hub.sha256), e.getMessage());
        assertTrue(e.getMessage().contains("hf://owner/repo/model.gguf"), e.getMessage());
        assertFalse(Files.exists(target()));
        assertFalse(Files.exists(sibling(target(), ".part")));
    }

    @Test
    void fetch_withoutAnnouncedChecksumRecordsTheComputedOne() throws IOException {
        hub.etag = null;
        Recorder recorder = new Recorder();
        Path file = downloader(0).fetch(REF, recorder);

        assertArrayEquals(hub.content, Files.readAllBytes(file));
        assertEquals(Boolean.FALSE, recorder.verified);
        assertEquals(hub.sha256 + "  model.gguf\n", Files.readString(sibling(file, ".sha256")));
    }

    @Test
    void fetch_interruptedTransferKeepsPartialFileAndNextFetchResumesWithRange() throws IOException {
        hub.dropAfter = SIZE / 2;
        hub.drops.set(1);
        ModelResolutionException e = assertThrows(ModelResolutionException.class,
                () -> downloader(0).fetch(REF, DownloadListener.SILENT));
        assertEquals(Reason.INTERRUPTED, e.reason());
        Path part = sibling(target(), ".part");
        long kept = Files.size(part);
        assertTrue(kept > 0 && kept < SIZE, "kept " + kept);
        assertTrue(e.getMessage().contains("resumes"), e.getMessage());
        assertFalse(Files.exists(target()));

        Recorder recorder = new Recorder();
        Path file = downloader(0).fetch(REF, recorder);

        assertArrayEquals(hub.content, Files.readAllBytes(file));
        assertEquals(List.of("null", "bytes=" + kept + "-"), hub.rangeHeaders);
        assertEquals(List.of(kept), recorder.startedAt);
        assertEquals(Boolean.TRUE, recorder.verified, "the SHA-256 covers the resumed prefix too");
    }

    @Test
    void fetch_retriesABrokenTransferByItself() throws IOException {
        hub.redirect = true;
        hub.dropAfter = 1000;
        hub.drops.set(2);
        Recorder recorder = new Recorder();
        Path file = downloader(3).fetch(REF, recorder);

        assertArrayEquals(hub.content, Files.readAllBytes(file));
        assertEquals(2, recorder.retries.size(), recorder.retries.toString());
        assertEquals(3, hub.rangeHeaders.size());
        assertEquals("null", hub.rangeHeaders.get(0));
        assertTrue(hub.rangeHeaders.get(2).startsWith("bytes="), hub.rangeHeaders.toString());
    }

    @Test
    void fetch_serverIgnoringRangeStartsOverInsteadOfAppending() throws IOException {
        hub.honorRange = false;
        Path part = sibling(target(), ".part");
        Files.createDirectories(part.getParent());
        Files.write(part, Arrays.copyOf(hub.content, SIZE / 3));
        Recorder recorder = new Recorder();

        Path file = downloader(0).fetch(REF, recorder);

        assertEquals(SIZE, Files.size(file));
        assertArrayEquals(hub.content, Files.readAllBytes(file));
        assertEquals(List.of("bytes=" + SIZE / 3 + "-"), hub.rangeHeaders);
        assertEquals(List.of(0L), recorder.startedAt, "a 200 reply replaces the partial file");
    }

    @Test
    void fetch_partialFileOfAnotherVersionStartsOver() throws IOException {
        Path part = sibling(target(), ".part");
        Files.createDirectories(part.getParent());
        Files.write(part, new byte[SIZE / 4]);
        Files.writeString(sibling(target(), ".part.etag"), FakeHub.sha256(new byte[] {9}) + "\n");

        Path file = downloader(1).fetch(REF, DownloadListener.SILENT);

        assertArrayEquals(hub.content, Files.readAllBytes(file));
        assertEquals(List.of("bytes=" + SIZE / 4 + "-", "null"), hub.rangeHeaders);
    }

    @Test
    void fetch_completePartialFileIsFinishedOn416() throws IOException {
        Path part = sibling(target(), ".part");
        Files.createDirectories(part.getParent());
        Files.write(part, hub.content);
        Recorder recorder = new Recorder();

        Path file = downloader(0).fetch(REF, recorder);

        assertArrayEquals(hub.content, Files.readAllBytes(file));
        assertEquals(Boolean.TRUE, recorder.verified);
    }

    @Test
    void fetch_stalledTransferIsResumed() throws IOException {
        hub.dropAfter = SIZE / 2;
        hub.drops.set(1);
        hub.stallMillis = 3000;
        Path file = downloader(hub.endpoint(), 1, Duration.ofMillis(300), null).fetch(REF, DownloadListener.SILENT);

        assertArrayEquals(hub.content, Files.readAllBytes(file));
        assertEquals(2, hub.rangeHeaders.size());
        assertTrue(hub.rangeHeaders.get(1).startsWith("bytes="), hub.rangeHeaders.toString());
    }

    @Test
    void fetch_notFoundSaysWhatWasNotFound() {
        hub.forcedStatus = 404;
        ModelResolutionException e = assertThrows(ModelResolutionException.class,
                () -> downloader(3).fetch(REF, DownloadListener.SILENT));

        assertEquals(Reason.NOT_FOUND, e.reason());
        assertTrue(e.getMessage().contains("not found on Hugging Face: hf://owner/repo/model.gguf"), e.getMessage());
        assertTrue(e.getMessage().contains("404"), e.getMessage());
        assertTrue(e.getMessage().contains(FakeHub.RESOLVE_PATH), e.getMessage());
        assertEquals(1, hub.authorizationHeaders.size(), "a 404 is not retried");
    }

    @Test
    void fetch_gatedRepositoryAsksForAToken() {
        hub.forcedStatus = 401;
        ModelResolutionException e = assertThrows(ModelResolutionException.class,
                () -> downloader(0).fetch(REF, DownloadListener.SILENT));
        assertEquals(Reason.UNAUTHORIZED, e.reason());
        assertTrue(e.getMessage().contains("HF_TOKEN"), e.getMessage());
    }

    @Test
    void fetch_offlineSaysSoAndHowToPassALocalFile() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        URI nobody = URI.create("http://127.0.0.1:" + port);
        ModelResolutionException e = assertThrows(ModelResolutionException.class,
                () -> downloader(nobody, 3, Duration.ofSeconds(30), null).fetch(REF, DownloadListener.SILENT));

        assertEquals(Reason.OFFLINE, e.reason());
        assertTrue(e.getMessage().contains("offline"), e.getMessage());
        assertTrue(e.getMessage().contains("--model PATH"), e.getMessage());
        assertTrue(e.getMessage().contains(target().toString()), e.getMessage());
    }

    @Test
    void isOffline_recognisesUnknownHostsAndRefusedConnections() {
        assertTrue(HubDownloader.isOffline(new IOException(new UnknownHostException("huggingface.co"))));
        assertTrue(HubDownloader.isOffline(new ConnectException()));
        assertFalse(HubDownloader.isOffline(new IOException("closed")));
    }

    @Test
    void normalizeTag_stripsWeakMarkerAndQuotes() {
        assertEquals("abc", HubDownloader.normalizeTag("W/\"abc\""));
        assertEquals("abc", HubDownloader.normalizeTag("\"abc\""));
        assertEquals(null, HubDownloader.normalizeTag("\"\""));
    }
}
