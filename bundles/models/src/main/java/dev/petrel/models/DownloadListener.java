package dev.petrel.models;

import java.nio.file.Path;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Follows one download. Called on the downloading thread; keep it quick.
 */
@ConsumerType
public interface DownloadListener {

    /** Reports nothing. */
    DownloadListener SILENT = (done, total) -> {
    };

    /**
     * The transfer begins (again, after a retry).
     *
     * @param resumedFrom bytes already on disk from an earlier, interrupted transfer
     * @param totalBytes the file's size, or -1 when the server does not say
     */
    default void started(HubReference reference, Path target, long resumedFrom, long totalBytes) {
    }

    /**
     * More bytes arrived.
     *
     * @param bytesDone bytes of the file on disk, resumed part included
     * @param totalBytes the file's size, or -1 when unknown
     */
    void progress(long bytesDone, long totalBytes);

    /** A transfer broke and will be resumed after {@code delayMillis}. */
    default void retrying(String reason, int attempt, long delayMillis) {
    }

    /** The file is complete, checked and in place. */
    default void finished(Path file, long bytes, String sha256, boolean checksumVerified) {
    }
}
