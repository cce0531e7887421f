package dev.petrel.tokenizer.bench;

import dev.petrel.api.tokenizer.Tokenizer;
import dev.petrel.tokenizer.AllTokenizers;
import dev.petrel.tokenizer.GgufTokenizers;
import dev.petrel.tokenizer.RandomText;
import dev.petrel.tokenizer.TestData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.Random;

/**
 * Encode throughput of every test tokenizer on a long mixed text (the conformance strings and
 * generated multilingual text), after a warm-up. Not a test: run its main() with the test
 * classpath, for example
 * {@code mvn -pl bundles/tokenizer test-compile dependency:build-classpath -Dmdep.outputFile=cp.txt}
 * then {@code java -cp target/classes:target/test-classes:$(cat cp.txt) dev.petrel.tokenizer.bench.EncodeBenchmark [MB [TEXT_OUT]]},
 * or simply {@code scripts/bench-tokenizer}, which also runs llama.cpp's tokenizer on the same text.
 */
public final class EncodeBenchmark {

    private EncodeBenchmark() {}

    public static void main(String[] args) throws IOException {
        double megabytes = args.length > 0 ? Double.parseDouble(args[0]) : 2.0;
        String text = mixedText((int) (megabytes * 1_000_000));
        if (args.length > 1) {
            // The same text for a peer tokenizer measured in the same run (scripts/bench-tokenizer).
            Files.writeString(Path.of(args[1]), text, StandardCharsets.UTF_8);
        }
        String nfcText = Normalizer.normalize(text, Normalizer.Form.NFC);
        int bytes = text.getBytes(StandardCharsets.UTF_8).length;
        System.out.printf("text: %,d chars, %,d UTF-8 bytes%n%n", text.length(), bytes);
        System.out.printf("%-16s %6s %8s %10s %10s %9s%n", "tokenizer", "model", "load ms", "tokens", "MB/s", "bytes/tok");
        for (Path source : AllTokenizers.sources()) {
            long loadStart = System.nanoTime();
            Tokenizer tokenizer = source.toString().endsWith(".gguf")
                    ? GgufTokenizers.read(source)
                    : AllTokenizers.readHuggingFace(source);
            long loadMillis = (System.nanoTime() - loadStart) / 1_000_000;
            String input = AllTokenizers.normalizesToNfc(source) ? nfcText : text;
            int tokens = 0;
            for (int i = 0; i < 2; i++) {
                tokens = tokenizer.encode(input).length;
            }
            int runs = 3;
            long start = System.nanoTime();
            for (int i = 0; i < runs; i++) {
                tokens = tokenizer.encode(input).length;
            }
            double seconds = (System.nanoTime() - start) / 1e9 / runs;
            System.out.printf("%-16s %6s %8d %,10d %10.2f %9.2f%n", AllTokenizers.name(source), tokenizer.model(),
                    loadMillis, tokens, bytes / 1e6 / seconds, (double) bytes / tokens);
        }
    }

    /**
     * The conformance inputs, prose-like multilingual paragraphs and random Unicode, mixed up
     * to the size.
     */
    static String mixedText(int targetChars) throws IOException {
        String inputs = Files.readString(
                TestData.tokenizers().resolve("gguf-vocab/ggml-vocab-gpt-2.gguf.inp"), StandardCharsets.UTF_8)
                .replace("__ggml_vocab_test__", "");
        RandomText generated = new RandomText(42);
        Random random = new Random(7);
        StringBuilder out = new StringBuilder(targetChars + 4096);
        while (out.length() < targetChars) {
            switch (random.nextInt(4)) {
                case 0 -> out.append(inputs);
                case 1 -> out.append(generated.next(100)).append("\n\n");
                default -> out.append(generated.paragraph(300)).append("\n\n");
            }
        }
        return out.toString();
    }
}
