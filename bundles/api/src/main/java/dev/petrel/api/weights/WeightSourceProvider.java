package dev.petrel.api.weights;

import java.io.IOException;
import java.nio.file.Path;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Opens weight sources of one format. Registered as a service with the property
 * {@code format} (for example {@code format=gguf}).
 */
@ConsumerType
public interface WeightSourceProvider {

    /** Service property naming the format. */
    String FORMAT = "format";

    /** The format this provider reads. */
    String format();

    /** Whether {@code path} looks like this format (magic bytes, folder contents); cheap. */
    boolean accepts(Path path);

    /**
     * Opens {@code path}, reading and validating its header only.
     *
     * @throws dev.petrel.api.ModelFormatException if the content is not valid
     * @throws IOException if the file cannot be read
     */
    WeightSource open(Path path) throws IOException;
}
