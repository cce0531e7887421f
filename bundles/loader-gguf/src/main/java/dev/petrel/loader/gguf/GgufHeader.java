package dev.petrel.loader.gguf;

/**
 * The fixed facts of a GGUF file, for tools such as {@code petrel inspect}.
 *
 * @param version format version, 2 or 3
 * @param tensorCount number of tensors the header declares
 * @param kvCount number of metadata key/value pairs
 * @param alignment alignment of the data section and of every tensor in it, in bytes
 * @param dataOffset where the data section starts: the end of the header rounded up to the
 *     alignment (past the end of the file when a file without tensors is not padded)
 * @param fileSize size of the file in bytes
 */
public record GgufHeader(int version, long tensorCount, long kvCount, long alignment, long dataOffset, long fileSize) {
}
