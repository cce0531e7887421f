package dev.petrel.loader.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The vocabulary-only GGUF files that llama.cpp ships for its tokenizer tests. */
class GgufRealFilesTest {

    record Vocab(String file, String model, String pre, int tokens, int merges, boolean scores, int kvCount,
            String firstToken, String lastToken) {
        @Override
        public String toString() {
            return file;
        }
    }

    static Stream<Vocab> vocabs() {
        return Stream.of(
                new Vocab("ggml-vocab-deepseek-coder.gguf", "gpt2", "deepseek-coder", 32256, 31757, false, 25, "!", "[PAD32255]"),
                new Vocab("ggml-vocab-deepseek-llm.gguf", "gpt2", "deepseek-llm", 102400, 99757, false, 23, "!", "[PAD102399]"),
                new Vocab("ggml-vocab-gpt-2.gguf", "gpt2", "gpt-2", 50257, 50000, false, 16, "!", "<|endoftext|>"),
                new Vocab("ggml-vocab-llama-spm.gguf", "llama", "default", 32000, 0, true, 22, "<unk>", "\u7ed9"),
                new Vocab("ggml-vocab-phi-3.gguf", "llama", "default", 32064, 0, true, 26, "<unk>", "[PAD32063]"));
    }

    @ParameterizedTest
    @MethodSource("vocabs")
    void vocabFile_isReadWithItsTokenizer(Vocab vocab) throws IOException {
        try (GgufFile file = GgufFile.open(TestData.ggufVocab(vocab.file()))) {
            GgufHeader header = file.header();
            assertEquals(3, header.version());
            assertEquals(0, header.tensorCount());
            assertEquals(vocab.kvCount(), header.kvCount());
            assertEquals(vocab.kvCount(), file.metadata().keys().size());
            assertEquals(32, header.alignment());
            assertEquals(List.of(), file.tensors());

            GgufMetadata m = file.metadata();
            assertEquals(vocab.model(), m.string("tokenizer.ggml.model"));
            assertEquals(vocab.pre(), m.string("tokenizer.ggml.pre"));
            List<String> tokens = m.strings("tokenizer.ggml.tokens");
            assertEquals(vocab.tokens(), tokens.size());
            assertEquals(vocab.firstToken(), tokens.get(0));
            assertEquals(vocab.lastToken(), tokens.get(tokens.size() - 1));
            assertEquals(Optional.of(GgufValueType.INT32), m.elementType("tokenizer.ggml.token_type"));
            assertEquals(vocab.tokens(), m.ints("tokenizer.ggml.token_type").length);
            assertEquals(GgufValueType.UINT32, m.type("tokenizer.ggml.eos_token_id"));
            if (vocab.merges() > 0) {
                assertEquals(vocab.merges(), m.strings("tokenizer.ggml.merges").size());
            }
            assertEquals(vocab.scores(), m.contains("tokenizer.ggml.scores"));
            if (vocab.scores()) {
                assertEquals(vocab.tokens(), m.floats("tokenizer.ggml.scores").length);
            }
        }
    }

    @Test
    void llamaSpmVocab_hasTheKnownSpecialTokens() throws IOException {
        try (GgufFile file = GgufFile.open(TestData.ggufVocab("ggml-vocab-llama-spm.gguf"))) {
            GgufMetadata m = file.metadata();
            assertEquals(List.of("<unk>", "<s>", "</s>"), m.strings("tokenizer.ggml.tokens").subList(0, 3));
            assertEquals(1, m.integer("tokenizer.ggml.bos_token_id"));
            assertEquals(2, m.integer("tokenizer.ggml.eos_token_id"));
            assertEquals(true, m.bool("tokenizer.ggml.add_bos_token", false));
            assertEquals(GgufValueType.BOOL, m.type("tokenizer.ggml.add_bos_token"));
            assertEquals(1e-5f, (float) m.number("llama.attention.layer_norm_rms_epsilon"));
            assertEquals(GgufValueType.FLOAT32, m.type("llama.attention.layer_norm_rms_epsilon"));
        }
    }

    @ParameterizedTest
    @MethodSource("vocabs")
    void vocabFile_roundTripsThroughTheWriterUnchanged(Vocab vocab) throws IOException {
        Path path = TestData.ggufVocab(vocab.file());
        byte[] original = Files.readAllBytes(path);
        try (GgufFile file = GgufFile.open(path)) {
            byte[] written = GgufWriter.create().putAll(file.metadata()).toByteArray();
            try (GgufFile reread = GgufFile.parse("rewritten " + vocab.file(), MemorySegment.ofArray(written))) {
                assertEquals(new ArrayList<>(file.metadata().values().entrySet()),
                        new ArrayList<>(reread.metadata().values().entrySet()));
                assertEquals(file.header().dataOffset(), reread.header().dataOffset());
            }
            // The same bytes; only the alignment padding at the end, which llama.cpp writes, is new.
            assertEquals(file.header().dataOffset(), written.length);
            assertArrayEquals(original, Arrays.copyOf(written, original.length));
            for (int i = original.length; i < written.length; i++) {
                assertEquals(0, written[i]);
            }
            assertTrue(written.length - original.length < 32);
        }
    }
}
