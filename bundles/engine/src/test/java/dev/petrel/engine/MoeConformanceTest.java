package dev.petrel.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.petrel.api.engine.LoadOptions;
import dev.petrel.api.engine.Model;
import dev.petrel.api.kernel.KernelBackend;
import dev.petrel.api.weights.TensorType;
import dev.petrel.conformance.Arch;
import dev.petrel.conformance.ConformanceCheck;
import dev.petrel.conformance.LlamaCppReference;
import dev.petrel.conformance.ModelSpec;
import dev.petrel.conformance.RandomModel;
import dev.petrel.conformance.RandomModels;
import dev.petrel.engine.LlamaCppConformanceTest.EngineLogits;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Mixture-of-experts models against llama.cpp on random weights, with the criteria of
 * {@link ConformanceCheck} (F32: identical 32 greedy ids, max |Δlogit| ≤ 1e-3 over the top
 * 10; quantized: teacher-forced 64 ids, top-1 ≥ 99%, max |Δlogit| ≤ 0.05): Mixtral-style
 * llama (8 experts, top 2, renormalised), qwen2moe (8 experts, top 2, not renormalised, a
 * shared expert scaled by its sigmoid gate) and qwen3moe (16 experts, top 4, renormalised,
 * q/k norms). The router is N(0, 1/n_embd), so the chosen experts change from token to token.
 */
class MoeConformanceTest {

    @TempDir
    static Path models;

    static LlamaCppReference llama;

    @BeforeAll
    static void startReference() {
        llama = LlamaCppReference.start();
    }

    @AfterAll
    static void stopReference() {
        if (llama != null) {
            llama.close();
        }
    }

    static final ModelSpec MIXTRAL = ModelSpec.of(Arch.LLAMA).withShape(256, 2, 4, 2, 64, 128)
            .withExperts(new ModelSpec.Experts(8, 2, 128, 0));
    static final ModelSpec QWEN2MOE = ModelSpec.of(Arch.QWEN2).withShape(256, 2, 4, 2, 64, 512)
            .withExperts(new ModelSpec.Experts(8, 2, 128, 256));
    static final ModelSpec QWEN3MOE = ModelSpec.of(Arch.QWEN3).withShape(256, 2, 4, 2, 64, 512)
            .withExperts(new ModelSpec.Experts(16, 4, 64, 0));

    static Stream<Arguments> models() {
        List<Arguments> cases = new ArrayList<>();
        for (ModelSpec spec : List.of(MIXTRAL, QWEN2MOE, QWEN3MOE)) {
            for (String backend : List.of("java-scalar", "java")) {
                cases.add(Arguments.of(spec, backend));
            }
            cases.add(Arguments.of(spec.withType(TensorType.Q8_0), "java"));
        }
        // Three layers, a vocabulary of whole 32-row tiles: here llama.cpp and Petrel agree to the
        // last bit, because the experts' Q8_0 dots add their floats in the order of ggml's
        // vec_dot (summed in the order of the dense matrices instead, one of the 64 top-1 ids
        // differs) and the F32 router's dot in that of llama.cpp's F32 tinyBLAS (the Vector API
        // backend's order with 512-bit vectors).
        cases.add(Arguments.of(MIXTRAL.withType(TensorType.Q8_0).withVocab(512).withShape(256, 3, 4, 2, 64, 128)
                .withSeed(8), "java"));
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("models")
    void engine_matchesLlamaCpp(ModelSpec spec, String backendName) throws Exception {
        Path file = RandomModels.write(spec, models.resolve(spec.name() + ".gguf"));
        KernelBackend backend = Fixture.backend(backendName);
        PetrelEngine engine = Fixture.engine(backend);
        try (LlamaCppReference.Model reference = llama.load(file);
                Model model = engine.load(file, new LoadOptions(0, TensorType.F32, null))) {
            int[] prompt = ConformanceCheck.randomIds(0, spec.vocabSize(), 8, 1);
            ConformanceCheck.Result result =
                    ConformanceCheck.check(reference, new EngineLogits(model), prompt, spec.weightType());
            System.out.printf("%s on %s: max |dlogit| %.2e, top-1 agreement %d/%d%n", spec.name(), backendName,
                    result.maxAbsDelta(), result.top1Agreements(), result.positions());
            result.assertPassed();
        } finally {
            Fixture.shutdown(backend);
        }
    }

    /** Per token: every weight but the unused routed experts and all but one embedding row. */
    @Test
    void activeWeightBytes_countOnlyTheUsedExperts() throws Exception {
        ModelSpec spec = QWEN2MOE.withType(TensorType.Q8_0);
        RandomModel random = RandomModels.generate(spec);
        Path file = random.writeGguf(models.resolve("active-" + spec.name() + ".gguf"));
        long total = 0;
        long idleExperts = 0;
        long embeddingRest = 0;
        for (RandomModel.Tensor t : random.tensors().values()) {
            long bytes = t.type().rowBytes(t.rowLength()) * t.rows();
            total += bytes;
            if (t.name().endsWith("_exps.weight")) {
                idleExperts += bytes / 8 * (8 - 2);
            }
            if (t.name().equals("token_embd.weight")) {
                embeddingRest = bytes - t.type().rowBytes(t.rowLength());
            }
        }
        KernelBackend backend = Fixture.backend("java-scalar");
        try (Model model = Fixture.engine(backend).load(file, new LoadOptions(0, TensorType.F32, null))) {
            assertEquals(total, model.weightBytes());
            assertEquals(total - idleExperts - embeddingRest, model.activeWeightBytesPerToken());
        } finally {
            Fixture.shutdown(backend);
        }
    }
}
