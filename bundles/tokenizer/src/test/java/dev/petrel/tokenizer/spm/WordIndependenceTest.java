package dev.petrel.tokenizer.spm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.petrel.api.tokenizer.Tokenizer;
import dev.petrel.loader.gguf.GgufFile;
import dev.petrel.tokenizer.MapMetadata;
import dev.petrel.tokenizer.PetrelTokenizerFactory;
import dev.petrel.tokenizer.RandomText;
import dev.petrel.tokenizer.TestData;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Merging word by word gives the ids of merging the whole text: the llama vocabulary is
 * compared with a copy that has one more entry joining a word to a space mark, which turns
 * word-by-word merging off but never occurs in the texts.
 */
class WordIndependenceTest {

    @Test
    void encode_wordByWord_equalsEncodeOfTheWholeText() throws IOException {
        MapMetadata wordByWord;
        try (GgufFile file = GgufFile.open(TestData.tokenizers().resolve("gguf-vocab/ggml-vocab-llama-spm.gguf"))) {
            wordByWord = MapMetadata.copyOf(file.metadata());
        }
        List<String> tokens = new ArrayList<>(wordByWord.strings("tokenizer.ggml.tokens"));
        tokens.add("\uE000\u2581");
        float[] scores = Arrays.copyOf(wordByWord.floats("tokenizer.ggml.scores"), tokens.size());
        int[] types = Arrays.copyOf(wordByWord.ints("tokenizer.ggml.token_type"), tokens.size());
        types[types.length - 1] = 1;
        MapMetadata whole = MapMetadata.copyOf(wordByWord)
                .with("tokenizer.ggml.tokens", tokens)
                .with("tokenizer.ggml.scores", scores)
                .with("tokenizer.ggml.token_type", types);

        Tokenizer fast = new PetrelTokenizerFactory().fromMetadata(wordByWord);
        Tokenizer reference = new PetrelTokenizerFactory().fromMetadata(whole);
        RandomText random = new RandomText(23);
        for (int i = 0; i < 500; i++) {
            String text = random.next(40);
            assertArrayEquals(reference.encode(text, true, true), fast.encode(text, true, true), text);
        }
    }
}
