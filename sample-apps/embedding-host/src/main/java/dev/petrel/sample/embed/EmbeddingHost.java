package dev.petrel.sample.embed;

import dev.petrel.api.tokenizer.Tokenizer;
import dev.petrel.api.tokenizer.TokenizerFactory;
import dev.petrel.api.weights.WeightSource;
import dev.petrel.api.weights.WeightSourceProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * A plain Java program that embeds Petrel: it starts Felix with the core feature and
 * tokenizes a text with the tokenizer of a GGUF file or a Hugging Face folder.
 *
 * <pre>java -cp ... dev.petrel.sample.embed.EmbeddingHost MODEL TEXT</pre>
 */
public final class EmbeddingHost {

    private static final Duration SERVICE_WAIT = Duration.ofSeconds(20);

    private EmbeddingHost() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: EmbeddingHost MODEL_FILE_OR_FOLDER TEXT");
            System.exit(2);
        }
        Path storage = Files.createTempDirectory("petrel-embedded");
        try (EmbeddedPetrel petrel = EmbeddedPetrel.start(storage, BundleRepository.localMaven(),
                List.of(Feature.named("petrel-core-cpu")))) {
            Tokenizer tokenizer = tokenizer(petrel, Path.of(args[0]));
            int[] ids = tokenizer.encode(args[1]);
            System.out.println(Arrays.toString(ids));
            System.out.println(tokenizer.decode(ids));
        }
    }

    /** The tokenizer of a model, built by the framework's TokenizerFactory service. */
    static Tokenizer tokenizer(EmbeddedPetrel petrel, Path model) throws Exception {
        TokenizerFactory factory = petrel.service(TokenizerFactory.class, null, SERVICE_WAIT);
        if (Files.isDirectory(model)) {
            return factory.fromHuggingFace(model);
        }
        WeightSourceProvider gguf = petrel.service(WeightSourceProvider.class, "(format=gguf)", SERVICE_WAIT);
        try (WeightSource source = gguf.open(model)) {
            return factory.fromMetadata(source.metadata());
        }
    }
}
