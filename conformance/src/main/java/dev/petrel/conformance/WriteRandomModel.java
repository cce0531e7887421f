package dev.petrel.conformance;

import dev.petrel.api.weights.TensorType;
import java.nio.file.Path;

/**
 * Writes a random-weight model for benchmarks and manual runs:
 * {@code WriteRandomModel ARCH TYPE PRESET FILE} with ARCH llama|qwen2|qwen3|deepseek2, TYPE
 * F32|F16|BF16|Q8_0|Q4_0, PRESET {@code tiny} (the conformance shape), {@code 1b} (a
 * Llama 3.2 1B-like shape with a 32000-token vocabulary: about 1.0 billion parameters; not for
 * deepseek2) or {@code v2lite} (deepseek2 only: DeepSeek-V2-Lite's attention and routing,
 * scaled to fit a small machine, see {@link #v2LiteScaled}).
 */
public final class WriteRandomModel {

    private WriteRandomModel() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: WriteRandomModel llama|qwen2|qwen3|deepseek2 F32|F16|BF16|Q8_0|Q4_0 tiny|1b|v2lite FILE");
            System.exit(2);
        }
        if (args[0].equalsIgnoreCase(DeepSeek2Models.ARCH)) {
            TensorType type = TensorType.valueOf(args[1].toUpperCase());
            DeepSeek2Models.Spec spec = switch (args[2]) {
                case "tiny" -> DeepSeek2Models.Spec.v2Lite();
                case "v2lite" -> v2LiteScaled();
                default -> throw new IllegalArgumentException("unknown deepseek2 preset " + args[2] + " (tiny, v2lite)");
            };
            Path file = DeepSeek2Models.write(spec.withType(type), Path.of(args[3]));
            System.err.println("wrote " + file + " (" + spec.withType(type).name() + ")");
            return;
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

    /**
     * DeepSeek-V2-Lite scaled down: its attention exactly (16 heads, no q compression,
     * kv_lora_rank 512, qk_nope 128, qk_rope 64, v 128, YaRN factor 40 over 4096) and its
     * routing (64 experts, 6 used, 2 shared, softmax, the first layer dense), with width 1024
     * instead of 2048, 8 layers instead of 27, expert FFN 352 instead of 1408, dense FFN 4096
     * and a 32000-token vocabulary: about 0.64 billion parameters.
     */
    static DeepSeek2Models.Spec v2LiteScaled() {
        return DeepSeek2Models.Spec.v2Lite()
                .withShape(32000, 1024, 8, 16, 0, 512, 4096, 64, 6, 352)
                .withHeadDims(128, 64, 128)
                .withYarn(DeepSeek2Models.Yarn.v2());
    }
}
