package dev.petrel.sample.embed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.petrel.api.tokenizer.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;

/** A plain Java host starts Felix from the core feature and uses Petrel's services. */
class EmbeddingHostTest {

    @TempDir
    Path storage;

    @Test
    void coreFeature_startsAndTokenizesLikeTheReference() throws Exception {
        Path testdata = testData();
        try (EmbeddedPetrel petrel = EmbeddedPetrel.start(storage, BundleRepository.localMaven(),
                List.of(Feature.named("petrel-core-cpu")))) {
            for (Bundle b : petrel.context().getBundles()) {
                assertEquals(Bundle.ACTIVE, b.getState(), b.getSymbolicName() + " is not active");
            }
            Tokenizer hf = EmbeddingHost.tokenizer(petrel, testdata.resolve("tokenizers/hf-qwen3"));
            assertArrayEquals(new int[] {9707, 1879}, hf.encode("Hello world"));

            Path vocab = testdata.resolve("tokenizers/gguf-vocab/ggml-vocab-gpt-2.gguf");
            Tokenizer gguf = EmbeddingHost.tokenizer(petrel, vocab);
            String[] inputs = Files.readString(Path.of(vocab + ".inp")).split("\n__ggml_vocab_test__\n", -1);
            List<String> expected = Files.readAllLines(Path.of(vocab + ".out"));
            for (int i = 0; i < expected.size(); i++) {
                int[] want = expected.get(i).isBlank() ? new int[0]
                        : Arrays.stream(expected.get(i).trim().split(" +")).mapToInt(Integer::parseInt).toArray();
                assertArrayEquals(want, gguf.encode(inputs[i]), "case " + i);
            }
        }
    }

    @Test
    void features_nameOnlyBundlesThatExist() throws Exception {
        for (String name : List.of("petrel-core-cpu", "petrel-console")) {
            Feature feature = Feature.named(name);
            assertTrue(feature.id().startsWith("dev.petrel:" + name + ":osgifeature:"), feature.id());
            for (String bundle : feature.bundles()) {
                assertTrue(Files.isRegularFile(BundleRepository.localMaven().locate(bundle)), bundle);
            }
        }
    }

    private static Path testData() {
        String configured = System.getProperty("petrel.testdata", System.getenv("PETREL_TESTDATA"));
        Path path = Path.of(configured != null ? configured : "../../../shared/testdata");
        assertTrue(Files.isDirectory(path.resolve("tokenizers")), "test data not found at " + path.toAbsolutePath()
                + ": set -Dpetrel.testdata or PETREL_TESTDATA");
        return path;
    }
}
