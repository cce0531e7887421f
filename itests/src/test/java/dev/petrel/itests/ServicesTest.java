package dev.petrel.itests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.petrel.api.attention.AttentionStrategy;
import dev.petrel.api.engine.ChatTemplate;
import dev.petrel.api.engine.Engine;
import dev.petrel.api.engine.ModelArchitecture;
import dev.petrel.api.experts.Experts;
import dev.petrel.api.experts.FeedForward;
import dev.petrel.api.kernel.KernelBackend;
import dev.petrel.api.quant.QuantFormat;
import dev.petrel.api.tokenizer.Tokenizer;
import dev.petrel.api.tokenizer.TokenizerFactory;
import dev.petrel.api.weights.WeightSource;
import dev.petrel.api.weights.WeightSourceProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.context.BundleContextExtension;
import org.osgi.test.junit5.service.ServiceExtension;

/** The Petrel bundles resolve, start and offer their services inside Felix. */
@ExtendWith({BundleContextExtension.class, ServiceExtension.class})
class ServicesTest {

    @InjectBundleContext
    BundleContext context;

    @Test
    void petrelBundles_areAllActive() {
        List<Bundle> petrel = Arrays.stream(context.getBundles())
                .filter(b -> b.getSymbolicName().startsWith("dev.petrel."))
                .toList();
        assertEquals(List.of("dev.petrel.api", "dev.petrel.attention", "dev.petrel.chat", "dev.petrel.engine",
                "dev.petrel.experts", "dev.petrel.kernels.cuda", "dev.petrel.kernels.java",
                "dev.petrel.kernels.java.scalar", "dev.petrel.loader.gguf", "dev.petrel.loader.safetensors",
                "dev.petrel.models", "dev.petrel.quant", "dev.petrel.shell", "dev.petrel.tokenizer"),
                petrel.stream().map(Bundle::getSymbolicName).sorted().toList());
        for (Bundle b : petrel) {
            assertEquals(Bundle.ACTIVE, b.getState(), b.getSymbolicName() + " is not active");
        }
    }

    @Test
    void ggufProvider_isRegisteredWithItsFormat(
            @InjectService(filter = "(format=gguf)") WeightSourceProvider gguf) {
        assertEquals("gguf", gguf.format());
    }

    @Test
    void safetensorsProvider_isRegisteredWithItsFormat(
            @InjectService(filter = "(format=safetensors)") WeightSourceProvider safetensors) {
        assertEquals("safetensors", safetensors.format());
    }

    @Test
    void consoleCommands_areRegisteredInScopePetrel() throws Exception {
        for (String function : List.of("inspect", "tokenize", "generate", "run", "chat", "bench", "backend")) {
            ServiceReference<?>[] refs = context.getServiceReferences((String) null,
                    "(&(osgi.command.scope=petrel)(osgi.command.function=" + function + "))");
            assertNotNull(refs, "petrel:" + function + " is not registered");
        }
    }

    @Test
    void inferenceServices_areRegistered(
            @InjectService Engine engine,
            @InjectService ChatTemplate chatTemplates) throws Exception {
        assertNotNull(engine);
        // By name: the test bundle stays wired to the api only (LifecycleTest refreshes the rest).
        assertNotNull(context.getServiceReferences("dev.petrel.models.ModelResolver", null), "no ModelResolver");
        for (String kernel : List.of("java", "java-scalar")) {
            assertNotNull(context.getServiceReferences(KernelBackend.class, "(kernel=" + kernel + ")"),
                    "no kernel backend " + kernel);
        }
        for (String arch : List.of("llama", "qwen2", "qwen3", "qwen2moe", "qwen3moe")) {
            assertEquals(1, context.getServiceReferences(ModelArchitecture.class, "(arch=" + arch + ")").size(),
                    "architecture " + arch);
        }
        for (String type : List.of("F32", "F16", "BF16", "Q8_0", "Q4_0", "F8_E4M3")) {
            assertEquals(1, context.getServiceReferences(QuantFormat.class, "(type=" + type + ")").size(),
                    "quant format " + type);
        }
        assertEquals(1, context.getServiceReferences(AttentionStrategy.class, "(attention=gqa)").size());
        assertEquals(1, context.getServiceReferences(FeedForward.class, null).size());
        assertEquals(1, context.getServiceReferences(Experts.class, null).size());
    }

    @Test
    void latentAttentionAndDeepSeek2_areRegistered() throws Exception {
        for (String strategy : List.of("mla-naive", "mla-absorbed")) {
            assertEquals(1, context.getServiceReferences(AttentionStrategy.class, "(attention=" + strategy + ")").size(),
                    "attention strategy " + strategy);
        }
        // Its references (both MLA strategies, the FFN and the experts) are all satisfied.
        assertEquals(1, context.getServiceReferences(ModelArchitecture.class, "(arch=deepseek2)").size(),
                "architecture deepseek2");
    }

    @Test
    void tokenizerService_encodesLikeLlamaCpp(
            @InjectService(filter = "(format=gguf)") WeightSourceProvider gguf,
            @InjectService TokenizerFactory factory) throws Exception {
        Path vocab = TestData.root().resolve("tokenizers/gguf-vocab/ggml-vocab-llama-spm.gguf");
        String[] inputs = Files.readString(vocab.resolveSibling(vocab.getFileName() + ".inp"))
                .split("\n__ggml_vocab_test__\n", -1);
        List<String> expected = Files.readAllLines(vocab.resolveSibling(vocab.getFileName() + ".out"));
        Tokenizer tokenizer;
        assertTrue(gguf.accepts(vocab));
        try (WeightSource source = gguf.open(vocab)) {
            tokenizer = factory.fromMetadata(source.metadata());
        }
        for (int i = 0; i < expected.size(); i++) {
            int[] want = expected.get(i).isBlank() ? new int[0]
                    : Arrays.stream(expected.get(i).trim().split(" +")).mapToInt(Integer::parseInt).toArray();
            assertArrayEquals(want, tokenizer.encode(inputs[i]), "case " + i + ": '" + inputs[i] + "'");
        }
    }

    @Test
    void tokenizerService_readsHuggingFaceFolders(@InjectService TokenizerFactory factory) throws Exception {
        Tokenizer llama3 = factory.fromHuggingFace(TestData.root().resolve("tokenizers/hf-llama3"));
        assertArrayEquals(new int[] {9906, 1917}, llama3.encode("Hello world"));
        assertEquals("Hello world", llama3.decode(llama3.encode("Hello world")));
    }
}
