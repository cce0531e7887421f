package dev.petrel.conformance;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small but real byte-level BPE vocabulary ({@code tokenizer.ggml.model = gpt2}) of any size:
 * the 256 byte tokens, merges learned from a built-in English text, the special tokens, and
 * reserved control tokens to reach the requested size.
 *
 * <p>Tokens are written as GPT-2 writes them: each byte as one printable character (the byte
 * itself for printable Latin-1, otherwise U+0100 and up, so a space is {@code Ġ}). Merges are
 * {@code "left right"} strings in rank order. The vocabulary is deterministic: the same size
 * and special tokens give the same lists.
 *
 * @param tokens every token, by id
 * @param types the GGUF token type of each token (1 normal, 3 control)
 * @param merges BPE merges, highest priority first
 * @param specials the special tokens' ids by their text
 */
public record ByteLevelVocab(List<String> tokens, int[] types, List<String> merges, Map<String, Integer> specials) {

    /** GGUF token type of an ordinary token. */
    public static final int NORMAL = 1;
    /** GGUF token type of a control (special) token. */
    public static final int CONTROL = 3;

    private static final Pattern WORDS = Pattern.compile(" ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+");

    /** Text the merges are learned from; written for this purpose. */
    private static final String CORPUS = """
            The storm petrel is a small seabird that spends most of its life over the open ocean. It feeds on \
            plankton and small fish near the surface, and it seems to walk on the water as it flutters just above \
            the waves. Sailors once believed that the birds warned of a coming storm, and they named them after \
            Saint Peter, who walked on the sea. Petrels return to land only to breed, and they nest in burrows or \
            in the cracks of rocky islands, where they arrive and leave at night to avoid the gulls.

            A language model reads a text as a sequence of tokens and predicts the next one. Each token has an \
            embedding, a vector of numbers; the layers of the model mix the vectors of the tokens that came before, \
            with attention, and transform each of them, with a feed-forward network, until the last layer gives a \
            score to every token of the vocabulary. The scores are called logits. The model then picks the token \
            with the highest score, or samples one, and appends it to the text. The same numbers in the same order \
            give the same answer, and that is what a conformance test checks: two programs that read the same \
            weights must compute the same logits, within a stated tolerance, and pick the same tokens.

            There are 10 birds on 3 rocks, 42 waves in 7 minutes, 128 heads and 4096 positions. \
            "Hello, world!" she said; then: (quietly) it's done - isn't it? Yes: 100% of the tests passed.
            """;

    public ByteLevelVocab {
        tokens = List.copyOf(tokens);
        types = types.clone();
        merges = List.copyOf(merges);
        specials = Collections.unmodifiableMap(new LinkedHashMap<>(specials));
        if (types.length != tokens.size()) {
            throw new IllegalArgumentException(types.length + " token types for " + tokens.size() + " tokens");
        }
    }

    /** Number of tokens. */
    public int size() {
        return tokens.size();
    }

    /** The id of special token {@code text}. */
    public int special(String text) {
        Integer id = specials.get(text);
        if (id == null) {
            throw new IllegalArgumentException("no special token " + text + " in " + specials.keySet());
        }
        return id;
    }

    /**
     * A vocabulary of exactly {@code size} tokens: 256 byte tokens (id = byte value), as many
     * learned merges as fit, then {@code specials} (control tokens), then reserved control tokens
     * {@code <|reserved_N|>} if the merges run out.
     */
    public static ByteLevelVocab build(int size, List<String> specials) {
        Objects.requireNonNull(specials, "specials");
        if (size < 256 + specials.size()) {
            throw new IllegalArgumentException("a byte-level vocabulary of " + size + " tokens cannot hold the 256 byte tokens and "
                    + specials.size() + " special tokens");
        }
        LinkedHashSet<String> normal = new LinkedHashSet<>();
        for (int b = 0; b < 256; b++) {
            normal.add(String.valueOf(byteChar(b)));
        }
        List<String> merges = learnMerges(size - 256 - specials.size(), normal);

        List<String> tokens = new ArrayList<>(normal);
        List<Integer> types = new ArrayList<>(Collections.nCopies(tokens.size(), NORMAL));
        Map<String, Integer> specialIds = new LinkedHashMap<>();
        for (String special : specials) {
            if (normal.contains(special) || specialIds.containsKey(special)) {
                throw new IllegalArgumentException("special token " + special + " is already in the vocabulary");
            }
            specialIds.put(special, tokens.size());
            tokens.add(special);
            types.add(CONTROL);
        }
        for (int n = 0; tokens.size() < size; n++) {
            tokens.add("<|reserved_" + n + "|>");
            types.add(CONTROL);
        }
        return new ByteLevelVocab(tokens, types.stream().mapToInt(Integer::intValue).toArray(), merges, specialIds);
    }

    /** The character GPT-2's byte-level encoding writes for byte {@code b} (0..255). */
    public static char byteChar(int b) {
        if ((b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)) {
            return (char) b;
        }
        // the other 68 bytes, in increasing order, take U+0100, U+0101, ...
        int n = 0;
        for (int c = 0; c < b; c++) {
            if (!((c >= '!' && c <= '~') || (c >= 0xA1 && c <= 0xAC) || (c >= 0xAE && c <= 0xFF))) {
                n++;
            }
        }
        return (char) (0x100 + n);
    }

    /** The byte-level spelling of a text: its UTF-8 bytes, each as {@link #byteChar}. */
    public static String byteLevel(String text) {
        StringBuilder out = new StringBuilder();
        for (byte b : text.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            out.append(byteChar(b & 0xFF));
        }
        return out.toString();
    }

    /**
     * Learns up to {@code wanted} merges from {@link #CORPUS}, adding each new token to
     * {@code vocab}: the most frequent adjacent pair first, ties broken by the pair's text.
     */
    private static List<String> learnMerges(int wanted, LinkedHashSet<String> vocab) {
        Map<List<String>, Integer> words = new LinkedHashMap<>();
        Matcher m = WORDS.matcher(CORPUS);
        while (m.find()) {
            String word = byteLevel(m.group());
            List<String> symbols = new ArrayList<>();
            word.codePoints().forEach(cp -> symbols.add(new String(Character.toChars(cp))));
            words.merge(symbols, 1, Integer::sum);
        }
        List<String> merges = new ArrayList<>();
        int added = 0;
        while (added < wanted) {
            Map<String, Integer> pairs = new HashMap<>();
            for (Map.Entry<List<String>, Integer> word : words.entrySet()) {
                List<String> s = word.getKey();
                for (int i = 0; i + 1 < s.size(); i++) {
                    pairs.merge(s.get(i) + " " + s.get(i + 1), word.getValue(), Integer::sum);
                }
            }
            String best = null;
            int bestCount = 1; // a pair seen once teaches nothing
            for (Map.Entry<String, Integer> pair : pairs.entrySet()) {
                int count = pair.getValue();
                if (count > bestCount || (count == bestCount && best != null && pair.getKey().compareTo(best) < 0)) {
                    best = pair.getKey();
                    bestCount = count;
                }
            }
            if (best == null) {
                break;
            }
            int space = best.indexOf(' ');
            String left = best.substring(0, space);
            String right = best.substring(space + 1);
            merges.add(best);
            if (vocab.add(left + right)) {
                added++;
            }
            Map<List<String>, Integer> merged = new LinkedHashMap<>();
            for (Map.Entry<List<String>, Integer> word : words.entrySet()) {
                List<String> s = word.getKey();
                List<String> out = new ArrayList<>(s.size());
                for (int i = 0; i < s.size(); i++) {
                    if (i + 1 < s.size() && s.get(i).equals(left) && s.get(i + 1).equals(right)) {
                        out.add(left + right);
                        i++;
                    } else {
                        out.add(s.get(i));
                    }
                }
                merged.merge(out, word.getValue(), Integer::sum);
            }
            words = merged;
        }
        return merges;
    }
}
