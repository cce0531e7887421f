package dev.petrel.models;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A file of a Hugging Face repository: {@code hf://owner/repo/file} or
 * {@code hf://owner/repo@revision/file}. The revision is a branch, tag or commit
 * ({@code main} when none is given); one that holds a slash is written with {@code %2F}
 * ({@code refs%2Fpr%2F1}). Every part is checked, so a reference can never name a file
 * outside its cache folder.
 *
 * @param owner the user or organisation, for example {@code bartowski}
 * @param repository the model repository, for example {@code DeepSeek-R1-Distill-Qwen-1.5B-GGUF}
 * @param revision branch, tag or commit
 * @param file the path of the file in the repository, {@code /}-separated
 */
public record HubReference(String owner, String repository, String revision, String file) {

    /** The scheme of a Hugging Face reference. */
    public static final String SCHEME = "hf://";
    /** The revision of a reference that names none. */
    public static final String DEFAULT_REVISION = "main";

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,95}");
    private static final Pattern REVISION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._/-]{0,199}");

    public HubReference {
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(repository, "repository");
        Objects.requireNonNull(revision, "revision");
        Objects.requireNonNull(file, "file");
        check(NAME.matcher(owner).matches() && !owner.contains(".."), "owner", owner);
        check(NAME.matcher(repository).matches() && !repository.contains(".."), "repository", repository);
        check(REVISION.matcher(revision).matches() && !hasDotSegment(revision), "revision", revision);
        check(validFile(file), "file", file);
    }

    /** Whether {@code model} is written as a Hugging Face reference (rather than a path). */
    public static boolean isHubReference(String model) {
        return model != null && model.regionMatches(true, 0, SCHEME, 0, SCHEME.length());
    }

    /**
     * Parses {@code hf://owner/repo[@revision]/path/to/file}.
     *
     * @throws ModelResolutionException ({@link ModelResolutionException.Reason#INVALID_REFERENCE})
     *         naming the part that is wrong
     */
    public static HubReference parse(String model) {
        if (!isHubReference(model)) {
            throw invalid(model, "it does not start with " + SCHEME);
        }
        String rest = model.substring(SCHEME.length());
        String[] parts = rest.split("/", 3);
        if (parts.length < 3 || parts[2].isEmpty()) {
            throw invalid(model, "expected " + SCHEME + "owner/repo/file or "
                    + SCHEME + "owner/repo@revision/file");
        }
        String repository = parts[1];
        String revision = DEFAULT_REVISION;
        int at = repository.indexOf('@');
        if (at >= 0) {
            revision = decode(repository.substring(at + 1));
            repository = repository.substring(0, at);
        }
        try {
            return new HubReference(parts[0], repository, revision, parts[2]);
        } catch (IllegalArgumentException e) {
            throw invalid(model, e.getMessage());
        }
    }

    /** {@code <base>/owner/repo/resolve/<revision>/<file>}, each part percent-encoded. */
    public URI resolveUri(URI base) {
        String b = base.toString();
        while (b.endsWith("/")) {
            b = b.substring(0, b.length() - 1);
        }
        StringBuilder path = new StringBuilder(b).append('/').append(encode(owner)).append('/')
                .append(encode(repository)).append("/resolve/").append(encode(revision));
        for (String segment : file.split("/")) {
            path.append('/').append(encode(segment));
        }
        return URI.create(path.toString());
    }

    /**
     * Where the file goes under a models folder: {@code owner/repo/file}, or
     * {@code owner/repo@revision/file} for another revision than {@code main}.
     */
    public Path cachePath(Path modelsDirectory) {
        String repoFolder = revision.equals(DEFAULT_REVISION) ? repository
                : repository + "@" + revision.replace("/", "%2F");
        Path path = modelsDirectory.resolve(owner).resolve(repoFolder);
        for (String segment : file.split("/")) {
            path = path.resolve(segment);
        }
        return path;
    }

    /** The file's name without its folders. */
    public String fileName() {
        return file.substring(file.lastIndexOf('/') + 1);
    }

    @Override
    public String toString() {
        return SCHEME + owner + "/" + repository
                + (revision.equals(DEFAULT_REVISION) ? "" : "@" + revision.replace("/", "%2F"))
                + "/" + file;
    }

    private static boolean validFile(String file) {
        if (file.isEmpty() || file.length() > 1000 || file.startsWith("/") || file.endsWith("/")) {
            return false;
        }
        for (int i = 0; i < file.length(); i++) {
            char c = file.charAt(i);
            if (c < 0x20 || c == 0x7f || c == '\\' || c == ':' || c == '*' || c == '?' || c == '"'
                    || c == '<' || c == '>' || c == '|') {
                return false;
            }
        }
        for (String segment : file.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                return false;
            }
        }
        return true;
    }

    private static boolean hasDotSegment(String path) {
        for (String segment : path.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                return true;
            }
        }
        return false;
    }

    private static void check(boolean ok, String part, String value) {
        if (!ok) {
            throw new IllegalArgumentException("invalid " + part + " '" + value + "'");
        }
    }

    private static ModelResolutionException invalid(String model, String why) {
        return new ModelResolutionException(ModelResolutionException.Reason.INVALID_REFERENCE,
                "not a valid Hugging Face reference: '" + model + "': " + why);
    }

    private static String encode(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '.' || c == '_' || c == '~') {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
            }
        }
        return out.toString();
    }

    private static String decode(String s) {
        return s.replace("%2F", "/").replace("%2f", "/");
    }
}
