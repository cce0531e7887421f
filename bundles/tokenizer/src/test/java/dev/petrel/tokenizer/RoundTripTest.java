package dev.petrel.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.petrel.api.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Property: decoding the encoding of valid text gives the text back, for every tokenizer. */
class RoundTripTest {

    private static final int TEXTS = 400;

    static Stream<Arguments> tokenizers() {
        return AllTokenizers.sources().stream().map(p -> Arguments.argumentSet(AllTokenizers.name(p), p));
    }

    @ParameterizedTest
    @MethodSource("tokenizers")
    void decode_ofEncode_isTheText(Path source) {
        Tokenizer tokenizer = AllTokenizers.load(source);
        RandomText random = new RandomText(source.getFileName().toString().hashCode());
        for (int i = 0; i < TEXTS; i++) {
            String text = AllTokenizers.normalizesToNfc(source) ? random.nextNfc(30) : random.next(30);
            int[] ids = tokenizer.encode(text);
            assertEquals(text, tokenizer.decode(ids), () -> "ids " + Arrays.toString(ids));
        }
    }

    @ParameterizedTest
    @MethodSource("tokenizers")
    void decode_ofEncodeWithSpecialTokens_isTheText(Path source) {
        Tokenizer tokenizer = AllTokenizers.load(source);
        RandomText random = new RandomText(~source.getFileName().toString().hashCode());
        for (int i = 0; i < TEXTS / 4; i++) {
            String text = AllTokenizers.normalizesToNfc(source) ? random.nextNfc(20) : random.next(20);
            int[] ids = tokenizer.encode(text, true, true);
            assertEquals(text, tokenizer.decode(ids), () -> "ids " + Arrays.toString(ids));
        }
    }

    @ParameterizedTest
    @MethodSource("tokenizers")
    void tokenBytes_joined_areTheUtf8OfTheText(Path source) {
        Tokenizer tokenizer = AllTokenizers.load(source);
        String text = "Grüße, 世界! 🦙\n\tdone";
        java.io.ByteArrayOutputStream joined = new java.io.ByteArrayOutputStream();
        for (int id : tokenizer.encode(text)) {
            joined.writeBytes(tokenizer.tokenBytes(id));
        }
        String decoded = joined.toString(java.nio.charset.StandardCharsets.UTF_8);
        // SentencePiece token bytes keep the space prefix that decode() removes.
        assertEquals(text, tokenizer.model().equals("spm") ? decoded.substring(1) : decoded);
    }
}
