package dev.petrel.engine;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.petrel.api.attention.AttentionStrategy;
import dev.petrel.api.engine.LoadOptions;
import dev.petrel.api.experts.FeedForward;
import dev.petrel.api.kernel.KernelBackend;
import dev.petrel.api.weights.TensorType;
import dev.petrel.attention.GqaAttention;
import dev.petrel.engine.arch.LlamaArchitecture;
import dev.petrel.engine.arch.Qwen2Architecture;
import dev.petrel.engine.arch.Qwen2MoeArchitecture;
import dev.petrel.engine.arch.Qwen3Architecture;
import dev.petrel.engine.arch.Qwen3MoeArchitecture;
import dev.petrel.experts.MixtureOfExperts;
import dev.petrel.experts.SwiGluFeedForward;
import dev.petrel.kernels.java.HostBackend;
import dev.petrel.kernels.java.ScalarKernelBackend;
import dev.petrel.kernels.java.VectorKernelBackend;
import dev.petrel.loader.gguf.provider.GgufWeightSourceProvider;
import dev.petrel.tokenizer.PetrelTokenizerFactory;
import java.time.Duration;
import java.util.Map;

/** An engine wired by hand as Declarative Services would wire it, on a Java backend. */
final class Fixture {

    static final LoadOptions F32_CACHE = new LoadOptions(0, TensorType.F32, null);

    private Fixture() {
    }

    static HostBackend backend(String name) {
        return switch (name) {
            case ScalarKernelBackend.NAME -> ScalarKernelBackend.standalone();
            case VectorKernelBackend.NAME -> VectorKernelBackend.standalone(2);
            default -> throw new IllegalArgumentException(name);
        };
    }

    static void shutdown(KernelBackend backend) {
        ((HostBackend) backend).shutdown(Duration.ofSeconds(1));
    }

    static PetrelEngine engine(KernelBackend backend) {
        PetrelEngine engine = new PetrelEngine();
        AttentionStrategy gqa = new GqaAttention();
        FeedForward ffn = new SwiGluFeedForward();
        engine.addProvider(new GgufWeightSourceProvider());
        MixtureOfExperts moe = new MixtureOfExperts();
        engine.addArchitecture(new LlamaArchitecture(gqa, ffn, moe), Map.of("arch", "llama"));
        engine.addArchitecture(new Qwen2Architecture(gqa, ffn), Map.of("arch", "qwen2"));
        engine.addArchitecture(new Qwen3Architecture(gqa, ffn), Map.of("arch", "qwen3"));
        engine.addArchitecture(new Qwen2MoeArchitecture(gqa, ffn, moe), Map.of("arch", "qwen2moe"));
        engine.addArchitecture(new Qwen3MoeArchitecture(gqa, ffn, moe), Map.of("arch", "qwen3moe"));
        engine.setTokenizers(new PetrelTokenizerFactory());
        engine.bindBackend(backend);
        return engine;
    }

    static float maxDifference(float[] a, float[] b) {
        float max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    static void assertClose(float[] expected, float[] actual, float tolerance, String what) {
        assertTrue(expected.length == actual.length, what + ": " + actual.length + " logits, expected " + expected.length);
        float d = maxDifference(expected, actual);
        assertTrue(d <= tolerance, what + ": max |Δ| " + d + " > " + tolerance);
    }

    static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }
}
