package dev.petrel.engine;

import dev.petrel.api.tokenizer.Tokenizer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Turns generated tokens into final text as they come: token bytes are joined and decoded at
 * UTF-8 character boundaries (a character split over tokens waits for its last byte), and text
 * that could begin a stop string waits until it is known not to. Once a stop string appears,
 * the text before it is final and the rest is dropped.
 */
final class TextStream {

    private final Tokenizer tokenizer;
    private final List<String> stopStrings;
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final StringBuilder held = new StringBuilder();
    private final StringBuilder text = new StringBuilder();
    private boolean stopped;

    TextStream(Tokenizer tokenizer, List<String> stopStrings) {
        this.tokenizer = tokenizer;
        this.stopStrings = List.copyOf(stopStrings);
    }

    /** Adds a token and returns the text that became final with it (often empty). */
    String append(int id) {
        if (stopped) {
            return "";
        }
        if (id >= 0 && id < tokenizer.vocabularySize()) {
            bytes.writeBytes(tokenizer.tokenBytes(id));
        }
        byte[] all = bytes.toByteArray();
        int complete = completeLength(all);
        bytes.reset();
        bytes.write(all, complete, all.length - complete);
        held.append(new String(all, 0, complete, StandardCharsets.UTF_8));
        return release();
    }

    /** The end of generation: everything held becomes final, an unfinished character as U+FFFD. */
    String flush() {
        if (stopped) {
            return "";
        }
        held.append(bytes.toString(StandardCharsets.UTF_8));
        bytes.reset();
        String last = release();
        String rest = held.toString();
        held.setLength(0);
        text.append(rest);
        return last + rest;
    }

    /** Whether a stop string appeared. */
    boolean stopped() {
        return stopped;
    }

    /** The final text so far: every piece returned, joined. */
    String text() {
        return text.toString();
    }

    private String release() {
        int stop = -1;
        for (String s : stopStrings) {
            int at = held.indexOf(s);
            if (at >= 0 && (stop < 0 || at < stop)) {
                stop = at;
            }
        }
        String piece;
        if (stop >= 0) {
            stopped = true;
            piece = held.substring(0, stop);
            held.setLength(0);
            bytes.reset();
        } else {
            int keep = longestStopPrefixSuffix();
            piece = held.substring(0, held.length() - keep);
            held.delete(0, held.length() - keep);
        }
        text.append(piece);
        return piece;
    }

    /** The length of the longest end of the held text that a stop string starts with. */
    private int longestStopPrefixSuffix() {
        String h = held.toString();
        int best = 0;
        for (String s : stopStrings) {
            for (int length = Math.min(s.length() - 1, h.length()); length > best; length--) {
                if (h.regionMatches(h.length() - length, s, 0, length)) {
                    best = length;
                    break;
                }
            }
        }
        return best;
    }

    /**
     * The bytes that form whole characters: all of them unless they end inside a character
     * whose remaining bytes may still come (a lead byte followed by fewer continuation bytes
     * than it announces). Invalid bytes count as complete: they decode to U+FFFD now.
     */
    static int completeLength(byte[] b) {
        int n = b.length;
        for (int back = 1; back <= Math.min(3, n); back++) {
            int lead = b[n - back] & 0xff;
            if (lead < 0x80) {
                return n;
            }
            if (lead >= 0xc0) {
                int expected = lead >= 0xf8 ? 1 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
                return expected > back ? n - back : n;
            }
        }
        return n;
    }
}
