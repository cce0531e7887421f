package dev.petrel.tokenizer.gguf;

import dev.petrel.api.ModelFormatException;
import dev.petrel.api.tokenizer.TokenKind;
import dev.petrel.api.tokenizer.Tokenizer;
import dev.petrel.api.weights.Metadata;
import dev.petrel.tokenizer.bpe.ByteLevelAlphabet;
import dev.petrel.tokenizer.bpe.ByteLevelBpeEncoder;
import dev.petrel.tokenizer.bpe.MergeTable;
import dev.petrel.tokenizer.core.EndOfTurnMarkers;
import dev.petrel.tokenizer.core.FragmentEncoder;
import dev.petrel.tokenizer.core.ModelTokenizer;
import dev.petrel.tokenizer.core.SpecialTokenSplitter;
import dev.petrel.tokenizer.core.SpecialTokens;
import dev.petrel.tokenizer.core.TextNormalizer;
import dev.petrel.tokenizer.core.TokenDecoder;
import dev.petrel.tokenizer.core.Vocabulary;
import dev.petrel.tokenizer.pretokenize.GgufPreTokenizers;
import dev.petrel.tokenizer.pretokenize.PreTokenizer;
import dev.petrel.tokenizer.spm.SentencePieceEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * Builds a tokenizer from the {@code tokenizer.ggml.*} keys of a GGUF file, with the defaults
 * llama.cpp applies when a key is absent.
 */
public final class GgufTokenizerReader {

    static final String MODEL = "tokenizer.ggml.model";
    static final String PRE = "tokenizer.ggml.pre";
    static final String TOKENS = "tokenizer.ggml.tokens";
    static final String SCORES = "tokenizer.ggml.scores";
    static final String TOKEN_TYPE = "tokenizer.ggml.token_type";
    static final String MERGES = "tokenizer.ggml.merges";
    static final String BOS = "tokenizer.ggml.bos_token_id";
    static final String EOS = "tokenizer.ggml.eos_token_id";
    static final String EOT = "tokenizer.ggml.eot_token_id";
    static final String EOM = "tokenizer.ggml.eom_token_id";
    static final String UNKNOWN = "tokenizer.ggml.unknown_token_id";
    static final String ADD_BOS = "tokenizer.ggml.add_bos_token";
    static final String ADD_EOS = "tokenizer.ggml.add_eos_token";
    static final String ADD_SPACE_PREFIX = "tokenizer.ggml.add_space_prefix";
    static final String CHAT_TEMPLATE = "tokenizer.chat_template";

    /** GGUF token types, numbered as llama.cpp numbers them (0 is "undefined"). */
    private static final TokenKind[] KIND_OF_TYPE = {
        TokenKind.NORMAL, TokenKind.NORMAL, TokenKind.UNKNOWN, TokenKind.CONTROL,
        TokenKind.USER_DEFINED, TokenKind.UNUSED, TokenKind.BYTE
    };

    private final Metadata metadata;
    private final String source;

    private GgufTokenizerReader(Metadata metadata) {
        this.metadata = metadata;
        this.source = metadata.source();
    }

    /**
     * @throws ModelFormatException naming the key that is missing or inconsistent
     */
    public static Tokenizer read(Metadata metadata) {
        return new GgufTokenizerReader(metadata).read();
    }

    private Tokenizer read() {
        String model = metadata.string(MODEL);
        boolean sentencePiece = switch (model) {
            case "llama" -> true;
            case "gpt2" -> false;
            default -> throw new ModelFormatException(source, MODEL,
                    "unsupported tokenizer model '" + model + "'; supported: llama (SentencePiece), gpt2 (byte-level BPE)");
        };
        Vocabulary vocabulary = readVocabulary();
        ModelTokenizer.Parts parts = sentencePiece ? sentencePieceParts(vocabulary) : bytePairParts(vocabulary);
        return new ModelTokenizer(parts);
    }

    private ModelTokenizer.Parts sentencePieceParts(Vocabulary vocabulary) {
        // llama.cpp's defaults for SentencePiece vocabularies, used when a key is absent.
        int unknown = tokenId(UNKNOWN, 0, vocabulary);
        SpecialTokens specials = readSpecials(vocabulary, 1, 2, true);
        boolean addSpacePrefix = metadata.bool(ADD_SPACE_PREFIX, true);
        return parts("spm", "default", vocabulary, specials,
                new SentencePieceEncoder(vocabulary, addSpacePrefix, unknown),
                new TokenDecoder(vocabulary, sentencePiecePieces(vocabulary), addSpacePrefix));
    }

    private ModelTokenizer.Parts bytePairParts(Vocabulary vocabulary) {
        String preName = metadata.optionalString(PRE).orElse("default");
        PreTokenizer pre = GgufPreTokenizers.byName(preName).orElseThrow(() -> new ModelFormatException(
                source, PRE, "unknown pre-tokenizer '" + preName + "'; supported: " + GgufPreTokenizers.names()));
        // Llama 3 vocabularies take a word found whole in the vocabulary as is, and start with BOS.
        boolean llama3 = pre.name().equals("llama3");
        SpecialTokens specials = readSpecials(vocabulary, -1, -1, llama3);
        return parts("bpe", preName, vocabulary, specials,
                new ByteLevelBpeEncoder(pre, readMerges(vocabulary), vocabulary, llama3, false),
                new TokenDecoder(vocabulary, byteLevelPieces(vocabulary), false));
    }

    private ModelTokenizer.Parts parts(String model, String preName, Vocabulary vocabulary, SpecialTokens specials,
            FragmentEncoder encoder, TokenDecoder decoder) {
        return new ModelTokenizer.Parts(model, preName, vocabulary,
                new SpecialTokenSplitter(splitCandidates(vocabulary)),
                TextNormalizer.NONE, encoder, decoder, specials,
                metadata.optionalString(CHAT_TEMPLATE).orElse(null));
    }

    /** BOS, EOS and the add flags; the defaults apply when a key is absent. */
    private SpecialTokens readSpecials(Vocabulary vocabulary, int defaultBos, int defaultEos, boolean defaultAddBos) {
        int bos = tokenId(BOS, defaultBos, vocabulary);
        int eos = tokenId(EOS, defaultEos, vocabulary);
        boolean addBos = metadata.bool(ADD_BOS, defaultAddBos);
        boolean addEos = metadata.bool(ADD_EOS, false);
        if (addBos && bos < 0) {
            throw new ModelFormatException(source, ADD_BOS, "is true but " + BOS + " is not set");
        }
        if (addEos && eos < 0) {
            throw new ModelFormatException(source, ADD_EOS, "is true but " + EOS + " is not set");
        }
        return new SpecialTokens(bos, eos, addBos, addEos, endOfGeneration(vocabulary, eos));
    }

    private Vocabulary readVocabulary() {
        List<String> tokens = metadata.strings(TOKENS);
        int n = tokens.size();
        float[] scores = metadata.contains(SCORES) ? readScores(n) : null;
        TokenKind[] kinds = new TokenKind[n];
        if (metadata.contains(TOKEN_TYPE)) {
            int[] types = metadata.ints(TOKEN_TYPE);
            requireLength(TOKEN_TYPE, types.length, n);
            for (int i = 0; i < n; i++) {
                if (types[i] < 0 || types[i] >= KIND_OF_TYPE.length) {
                    throw new ModelFormatException(source, TOKEN_TYPE,
                            "token " + i + " has type " + types[i] + ", expected 0 to " + (KIND_OF_TYPE.length - 1));
                }
                kinds[i] = KIND_OF_TYPE[types[i]];
            }
        } else {
            java.util.Arrays.fill(kinds, TokenKind.NORMAL);
        }
        return new Vocabulary(tokens.toArray(new String[0]), kinds, scores, (text, first, second) -> {
            throw new ModelFormatException(source, TOKENS,
                    "token '" + text + "' appears twice, as ids " + first + " and " + second);
        });
    }

    private float[] readScores(int tokenCount) {
        Object raw = metadata.require(SCORES);
        float[] scores;
        if (raw instanceof int[] ints) {
            scores = new float[ints.length];
            for (int i = 0; i < ints.length; i++) {
                scores[i] = ints[i];
            }
        } else {
            scores = metadata.floats(SCORES);
        }
        requireLength(SCORES, scores.length, tokenCount);
        return scores;
    }

    private void requireLength(String key, int length, int tokenCount) {
        if (length != tokenCount) {
            throw new ModelFormatException(source, key,
                    "has " + length + " entries but " + TOKENS + " has " + tokenCount);
        }
    }

    /** A token id key, checked against the vocabulary; {@code fallback} when absent. */
    private int tokenId(String key, int fallback, Vocabulary vocabulary) {
        if (!metadata.contains(key)) {
            return fallback < vocabulary.size() ? fallback : -1;
        }
        long id = metadata.integer(key);
        if (id < 0 || id >= vocabulary.size()) {
            throw new ModelFormatException(source, key,
                    "token id " + id + " is outside the vocabulary of " + vocabulary.size() + " tokens");
        }
        return (int) id;
    }

    private int[] endOfGeneration(Vocabulary vocabulary, int eos) {
        List<Integer> ids = new ArrayList<>();
        ids.add(eos);
        ids.add(tokenId(EOT, -1, vocabulary));
        ids.add(tokenId(EOM, -1, vocabulary));
        for (int id = 0; id < vocabulary.size(); id++) {
            TokenKind kind = vocabulary.kind(id);
            if ((kind == TokenKind.CONTROL || kind == TokenKind.USER_DEFINED) && EndOfTurnMarkers.isMarker(vocabulary.text(id))) {
                ids.add(id);
            }
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    private MergeTable readMerges(Vocabulary vocabulary) {
        List<String> merges = metadata.strings(MERGES);
        MergeTable table = new MergeTable(merges.size());
        for (int rank = 0; rank < merges.size(); rank++) {
            String merge = merges.get(rank);
            // Split at the first space after the first character: a part is never empty.
            int space = merge.indexOf(' ', 1);
            if (space < 0) {
                throw new ModelFormatException(source, MERGES,
                        "merge " + rank + " '" + merge + "' is not two tokens separated by a space");
            }
            String left = merge.substring(0, space);
            String right = merge.substring(space + 1);
            table.add(knownToken(vocabulary, left, rank, merge), knownToken(vocabulary, right, rank, merge),
                    rank, knownToken(vocabulary, left + right, rank, merge));
        }
        return table;
    }

    private int knownToken(Vocabulary vocabulary, String text, int rank, String merge) {
        int id = vocabulary.id(text);
        if (id < 0) {
            throw new ModelFormatException(source, MERGES,
                    "merge " + rank + " '" + merge + "' refers to '" + text + "', which is not in " + TOKENS);
        }
        return id;
    }

    /** Control, user-defined and unknown tokens are matched in text before the model runs. */
    private static List<SpecialTokenSplitter.Candidate> splitCandidates(Vocabulary vocabulary) {
        List<SpecialTokenSplitter.Candidate> candidates = new ArrayList<>();
        for (int id = 0; id < vocabulary.size(); id++) {
            TokenKind kind = vocabulary.kind(id);
            if (kind == TokenKind.CONTROL || kind == TokenKind.UNKNOWN || kind == TokenKind.USER_DEFINED) {
                candidates.add(new SpecialTokenSplitter.Candidate(
                        vocabulary.text(id), id, kind != TokenKind.USER_DEFINED, false, false));
            }
        }
        return candidates;
    }

    private static IntFunction<byte[]> sentencePiecePieces(Vocabulary vocabulary) {
        return id -> switch (vocabulary.kind(id)) {
            case BYTE -> byteOfToken(vocabulary.text(id));
            case USER_DEFINED -> vocabulary.text(id).getBytes(StandardCharsets.UTF_8);
            default -> vocabulary.text(id).replace(SentencePieceEncoder.SPACE_MARK, ' ').getBytes(StandardCharsets.UTF_8);
        };
    }

    private static IntFunction<byte[]> byteLevelPieces(Vocabulary vocabulary) {
        return id -> switch (vocabulary.kind(id)) {
            case BYTE -> byteOfToken(vocabulary.text(id));
            case USER_DEFINED -> vocabulary.text(id).getBytes(StandardCharsets.UTF_8);
            default -> ByteLevelAlphabet.decode(vocabulary.text(id));
        };
    }

    /** The byte of a {@code <0xXX>} token; other texts stand for themselves. */
    private static byte[] byteOfToken(String text) {
        if (text.length() == 6 && text.startsWith("<0x") && text.endsWith(">")) {
            try {
                return new byte[] {(byte) Integer.parseInt(text.substring(3, 5), 16)};
            } catch (NumberFormatException e) {
                // not a byte token after all: fall through
            }
        }
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
