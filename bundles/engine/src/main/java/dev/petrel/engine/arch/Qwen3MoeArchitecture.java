package dev.petrel.engine.arch;

import dev.petrel.api.attention.AttentionStrategy;
import dev.petrel.api.engine.ModelArchitecture;
import dev.petrel.api.experts.Experts;
import dev.petrel.api.experts.FeedForward;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The {@code qwen3moe} architecture (Qwen3-30B-A3B and kin): NeoX RoPE, query and key heads
 * RMS-normalised, softmax top-k experts renormalised, no shared expert.
 */
@Component(service = ModelArchitecture.class, property = ModelArchitecture.ARCH + "=qwen3moe")
public final class Qwen3MoeArchitecture extends DecoderArchitecture {

    @Activate
    public Qwen3MoeArchitecture(
            @Reference(name = "attention", target = "(attention=gqa)") AttentionStrategy attention,
            @Reference(name = "feedForward") FeedForward feedForward, @Reference(name = "experts") Experts experts) {
        super("qwen3moe", DecoderVariant.QWEN3MOE, attention, feedForward, experts);
    }
}
