package dev.petrel.conformance;

import dev.petrel.api.weights.TensorType;
import java.nio.file.Path;

/**
 * Writes a random-weight model for benchmarks and manual runs:
 * {@code WriteRandomModel ARCH TYPE PRESET FILE} with ARCH llama|qwen2|qwen3, TYPE
 * F32|F16|BF16|Q8_0|Q4_0, PRESET {@code tiny} (the conformance shape) or {@code 1b} (a
 * Llama 3.2 1B-like shape with a 32000-token vocabulary: about 1.0 billion parameters).
 */
public final class WriteRandomModel {

    private WriteRandomModel() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: WriteRandomModel llama|qwen2|qwen3 F32|F16|BF16|Q8_0|Q4_0 tiny|1b FILE");
            System.exit(2);
        }
        Arch arch = Arch.valueOf(args[0].toUpperCase());
        TensorType type = TensorType.valueOf(args[1].toUpperCase());
        ModelSpec spec = switch (args[2]) {
            case "tiny" -> ModelSpec.of(arch);
            // dim 2048, 16 layers, 32 heads of 64, 8 KV heads, FFN 8192: Llama 3.2 1B's blocks.
            case "1b" -> ModelSpec.of(arch).withShape(2048, 16, 32, 8, 64, 8192).withVocab(32000).untied();
            default -> throw new IllegalArgumentException("unknown preset " + args[2] + " (tiny, 1b)");
        };
        Path file = RandomModels.write(spec.withType(type), Path.of(args[3]));
        System.err.println("wrote " + file + " (" + spec.withType(type).name() + ")");
    }
}
