package dev.petrel.tokenizer.core;

import dev.petrel.api.tokenizer.TokenKind;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.IntFunction;

/**
 * Turns ids back into text: joins the bytes each token stands for and decodes them as UTF-8,
 * invalid sequences becoming U+FFFD.
 */
public final class TokenDecoder {

    private static final byte[] EMPTY = new byte[0];

    private final Vocabulary vocabulary;
    private final byte[][] pieces;
    /** SentencePiece with a space prefix: the space encoding added at a boundary is removed. */
    private final boolean dropSpaceAtBoundary;

    /**
     * @param pieces the decoded bytes of a normal, byte or user-defined token's vocabulary text
     * @param dropSpaceAtBoundary whether one leading space is removed after the start and after
     *        special tokens, undoing the prefix SentencePiece encoding adds there
     */
    public TokenDecoder(Vocabulary vocabulary, IntFunction<byte[]> pieces, boolean dropSpaceAtBoundary) {
        this.vocabulary = vocabulary;
        this.pieces = new byte[vocabulary.size()][];
        for (int id = 0; id < this.pieces.length; id++) {
            this.pieces[id] = isHidden(vocabulary.kind(id)) ? EMPTY : pieces.apply(id);
        }
        this.dropSpaceAtBoundary = dropSpaceAtBoundary;
    }

    /** Control, unknown and unused tokens stand for no text unless rendered. */
    private static boolean isHidden(TokenKind kind) {
        return kind == TokenKind.CONTROL || kind == TokenKind.UNKNOWN || kind == TokenKind.UNUSED;
    }

    public byte[] tokenBytes(int id) {
        return pieces[id].clone();
    }

    public String decode(int[] ids, boolean renderSpecial) {
        ByteBuffer out = new ByteBuffer(ids.length * 4);
        boolean atBoundary = true;
        for (int id : ids) {
            if (!vocabulary.contains(id)) {
                throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of " + vocabulary.size());
            }
            TokenKind kind = vocabulary.kind(id);
            if (isHidden(kind)) {
                if (renderSpecial) {
                    out.append(vocabulary.text(id).getBytes(StandardCharsets.UTF_8), 0);
                }
                atBoundary = true;
                continue;
            }
            byte[] piece = pieces[id];
            boolean dropSpace = dropSpaceAtBoundary && atBoundary && piece.length > 0 && piece[0] == ' ';
            out.append(piece, dropSpace ? 1 : 0);
            atBoundary = kind == TokenKind.USER_DEFINED;
        }
        return out.toUtf8String();
    }

    /** Minimal growable byte array; avoids ByteArrayOutputStream's synchronization. */
    private static final class ByteBuffer {
        private byte[] bytes;
        private int size;

        ByteBuffer(int capacity) {
            bytes = new byte[Math.max(16, capacity)];
        }

        void append(byte[] data, int from) {
            int length = data.length - from;
            if (size + length > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(size + length, bytes.length * 2));
            }
            System.arraycopy(data, from, bytes, size, length);
            size += length;
        }

        String toUtf8String() {
            return new String(bytes, 0, size, StandardCharsets.UTF_8);
        }
    }
}
