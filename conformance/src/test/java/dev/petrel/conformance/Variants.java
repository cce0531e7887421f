package dev.petrel.conformance;

import dev.petrel.api.weights.TensorType;
import java.util.List;

/** The random models the harness tests run llama.cpp on: every architecture, type and shape feature once. */
final class Variants {

    /** Strong Llama 3 scaling: with an original context of 256, most rotation pairs are scaled. */
    static final ModelSpec.Llama3RopeScaling STRONG_LLAMA3 = new ModelSpec.Llama3RopeScaling(8f, 1f, 4f, 256);

    static final List<ModelSpec> ALL = List.of(
            // llama, F32, separate output, GQA 2:1, head dim 64, odd feed-forward width
            ModelSpec.of(Arch.LLAMA).withShape(256, 2, 4, 2, 64, 688),
            // llama, F16, tied, GQA 4:1, head dim 128 (attention wider than the model), Llama 3 rope scaling
            ModelSpec.of(Arch.LLAMA).withType(TensorType.F16).tied().withVocab(777).withShape(256, 2, 4, 1, 128, 512)
                    .withRopeScaling(STRONG_LLAMA3).withSeed(2),
            // llama, Q4_0, multi-head (no GQA), 3 layers
            ModelSpec.of(Arch.LLAMA).withType(TensorType.Q4_0).withShape(256, 3, 4, 4, 64, 512).withSeed(3),
            // qwen2 (q/k/v biases), F32, GQA 2:1, head dim 64
            ModelSpec.of(Arch.QWEN2).withVocab(1001).withSeed(4),
            // qwen2, BF16, tied, GQA 4:1, head dim 128
            ModelSpec.of(Arch.QWEN2).withType(TensorType.BF16).tied().withShape(512, 2, 4, 1, 128, 1024).withSeed(5),
            // qwen3 (q/k norms), F32, tied, head dim 128 (attention wider than the model)
            ModelSpec.of(Arch.QWEN3).tied().withVocab(333).withShape(256, 2, 4, 2, 128, 512).withSeed(6),
            // qwen3, Q8_0, separate output, head dim 64
            ModelSpec.of(Arch.QWEN3).withType(TensorType.Q8_0).withVocab(601).withSeed(7));

    private Variants() {
    }
}
