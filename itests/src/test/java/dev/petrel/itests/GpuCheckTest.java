package dev.petrel.itests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.petrel.api.engine.Engine;
import dev.petrel.api.engine.GenerationRequest;
import dev.petrel.api.engine.LoadOptions;
import dev.petrel.api.engine.Model;
import dev.petrel.api.engine.SamplerSettings;
import dev.petrel.api.engine.Session;
import dev.petrel.api.kernel.KernelBackend;
import dev.petrel.api.weights.TensorType;
import dev.petrel.conformance.Arch;
import dev.petrel.conformance.ModelSpec;
import dev.petrel.conformance.RandomModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.context.BundleContextExtension;
import org.osgi.test.junit5.service.ServiceExtension;

/**
 * The GPU path, on a machine with an NVIDIA GPU only (run by {@code scripts/gpu-check}, not by
 * the build; the backend TCK on CUDA runs next to it as {@link BackendTckTest}): the
 * conformance models give the Java backend's greedy tokens on CUDA, a generation keeps its
 * tokens while it is swapped between CUDA and Java, and decode speed is printed next to Java
 * and to the memory-bandwidth limit.
 */
@ExtendWith({BundleContextExtension.class, ServiceExtension.class})
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GpuCheckTest {

    static final String ENGINE_PID = "dev.petrel.engine";
    static final int TOKENS = 32;

    @InjectBundleContext
    BundleContext context;

    @InjectService
    Engine engine;

    @InjectService
    ConfigurationAdmin configurations;

    @InjectService
    ServiceComponentRuntime scr;

    @Test
    @Order(1)
    void cudaBackend_isRegistered() throws Exception {
        Collection<ServiceReference<KernelBackend>> refs = context.getServiceReferences(KernelBackend.class, "(kernel=cuda)");
        assertFalse(refs.isEmpty(), "no kernel=cuda backend: see the kernels-cuda line in the log for why");
        KernelBackend cuda = context.getService(refs.iterator().next());
        System.out.println("gpu-check: " + cuda.device());
    }

    @Test
    @Order(2)
    void conformanceModels_giveJavasGreedyTokensOnCuda() throws Exception {
        Path dir = Files.createTempDirectory("petrel-gpu");
        for (Arch arch : List.of(Arch.LLAMA, Arch.QWEN2, Arch.QWEN3)) {
            for (TensorType type : List.of(TensorType.F32, TensorType.Q8_0)) {
                ModelSpec spec = ModelSpec.of(arch).withType(type);
                Path file = RandomModels.write(spec, dir.resolve(spec.name() + ".gguf"));
                int[] prompt = new SplittableRandom(7).ints(8, 3, spec.vocabSize()).toArray();
                int[] java = generate(file, "java", prompt, TOKENS);
                int[] cuda = generate(file, "cuda", prompt, TOKENS);
                System.out.printf("gpu-check: %s: %s%n", spec.name(), Arrays.equals(java, cuda) ? "same greedy tokens"
                        : "DIFFERENT tokens java " + Arrays.toString(java) + " cuda " + Arrays.toString(cuda));
                assertArrayEquals(java, cuda, spec.name() + ": greedy tokens on cuda differ from java");
            }
        }
    }

    @Test
    @Order(3)
    void generation_keepsItsTokens_whileSwappedBetweenCudaAndJava() throws Exception {
        Path file = RandomModels.write(ModelSpec.of(Arch.LLAMA).withType(TensorType.Q8_0),
                Files.createTempDirectory("petrel-gpu").resolve("swap.gguf"));
        int[] prompt = new SplittableRandom(11).ints(8, 3, 500).toArray();
        int[] expected = generate(file, "java", prompt, 64);
        pin("java");
        try (Model model = engine.load(file, new LoadOptions(128, TensorType.F16, null)); Session s = model.openSession()) {
            int[] swaps = {0};
            int[] ids = s.generate(new GenerationRequest(prompt, SamplerSettings.GREEDY, 64, List.of(), true), (id, piece) -> {
                if (id % 3 == 0) {   // every few tokens, switch sides (asynchronously, through configuration)
                    try {
                        pin(model.backend().equals("cuda") ? "java" : "cuda");
                        swaps[0]++;
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
                return true;
            }).ids();
            System.out.printf("gpu-check: %d backend changes requested during 64 tokens: %s%n", swaps[0],
                    Arrays.equals(expected, ids) ? "same tokens as java alone" : "DIFFERENT tokens");
            assertTrue(swaps[0] > 4, "too few swaps: " + swaps[0]);
            assertArrayEquals(expected, ids);
        } finally {
            pin(null);
        }
    }

    @Test
    @Order(4)
    void decodeSpeed_nextToJavaAndTheBandwidthLimit() throws Exception {
        String bench = System.getProperty("petrel.gpucheck.model", System.getenv("PETREL_GPUCHECK_MODEL"));
        assertTrue(bench != null && Files.isRegularFile(Path.of(bench)),
                "set PETREL_GPUCHECK_MODEL to a ~1B model (scripts/gpu-check writes one): " + bench);
        KernelBackend cuda = context.getService(context.getServiceReferences(KernelBackend.class, "(kernel=cuda)")
                .iterator().next());
        double bandwidth = cuda.device().capabilities().stream().filter(c -> c.startsWith("memory-bandwidth-gbs="))
                .mapToDouble(c -> Double.parseDouble(c.substring(c.indexOf('=') + 1))).findFirst().orElse(Double.NaN);
        double java = tokensPerSecond(Path.of(bench), "java");
        double onCuda = tokensPerSecond(Path.of(bench), "cuda");
        long bytesPerToken;
        pin("cuda");
        try (Model model = engine.load(Path.of(bench), new LoadOptions(256, TensorType.F16, null))) {
            bytesPerToken = model.activeWeightBytesPerToken();
        } finally {
            pin(null);
        }
        double limit = bandwidth * 1e9 / bytesPerToken;
        System.out.printf("gpu-check: decode %s: cuda %.1f tokens/s, java %.1f tokens/s (%.1fx); bandwidth limit %.0f "
                + "tokens/s (%.0f GB/s / %.2f GB per token): cuda reaches %.0f%%%n", bench, onCuda, java, onCuda / java,
                limit, bandwidth, bytesPerToken / 1e9, 100 * onCuda / limit);
        assertTrue(onCuda > 0 && java > 0);
    }

    private double tokensPerSecond(Path file, String backend) throws Exception {
        pin(backend);
        try (Model model = engine.load(file, new LoadOptions(256, TensorType.F16, null)); Session s = model.openSession()) {
            s.generate(new GenerationRequest(new int[] {1, 2, 3}, SamplerSettings.GREEDY, 4, List.of(), true));   // warm-up
            s.truncate(0);
            var result = s.generate(new GenerationRequest(new int[] {1, 2, 3}, SamplerSettings.GREEDY, 32, List.of(), true));
            return result.timings().generatedTokens() / (result.timings().generationNanos() / 1e9);
        } finally {
            pin(null);
        }
    }

    private int[] generate(Path file, String backend, int[] prompt, int tokens) throws Exception {
        pin(backend);
        try (Model model = engine.load(file, new LoadOptions(prompt.length + tokens + 8, TensorType.F16, null));
                Session s = model.openSession()) {
            assertTrue(model.backend().equals(backend), "model loaded on " + model.backend() + ", not " + backend);
            return s.generate(new GenerationRequest(prompt, SamplerSettings.GREEDY, tokens, List.of(), true)).ids();
        } finally {
            pin(null);
        }
    }

    /** Pins the engine to one backend (null: by ranking) and waits until it binds it. */
    private void pin(String backend) throws Exception {
        Configuration c = configurations.getConfiguration(ENGINE_PID, "?");
        Dictionary<String, Object> p = c.getProperties() == null ? new Hashtable<>() : c.getProperties();
        if (backend == null) {
            p.remove("backend.target");
        } else {
            p.put("backend.target", "(kernel=" + backend + ")");
        }
        c.update(p);
        // Config Admin delivers asynchronously: wait until SCR has rebound the engine's backend
        long deadline = System.currentTimeMillis() + 20_000;
        while (backend != null && !backend.equals(boundBackend())) {
            assertTrue(System.currentTimeMillis() < deadline, "the engine did not bind '" + backend + "' within 20 s");
            Thread.sleep(5);
        }
    }

    /** The backend the engine uses: of those its reference binds, the first in the framework's order. */
    private String boundBackend() throws Exception {
        Set<Long> bound = scr.getComponentDescriptionDTOs().stream()
                .filter(d -> d.name.equals("dev.petrel.engine.PetrelEngine"))
                .flatMap(d -> scr.getComponentConfigurationDTOs(d).stream())
                .flatMap(c -> Arrays.stream(c.satisfiedReferences))
                .filter(r -> r.name.equals("backend"))
                .flatMap(r -> Arrays.stream(r.boundServices))
                .map(r -> r.id).collect(Collectors.toSet());
        List<ServiceReference<KernelBackend>> refs = new ArrayList<>(
                context.getServiceReferences(KernelBackend.class, null));
        refs.sort((a, b) -> b.compareTo(a)); // highest ranking, then lowest id, first
        for (ServiceReference<KernelBackend> ref : refs) {
            if (bound.contains((Long) ref.getProperty("service.id"))) {
                return (String) ref.getProperty(KernelBackend.KERNEL);
            }
        }
        return null;
    }
}
