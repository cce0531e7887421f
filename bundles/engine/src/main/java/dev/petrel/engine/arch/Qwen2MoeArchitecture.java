package dev.petrel.engine.arch;

import dev.petrel.api.attention.AttentionStrategy;
import dev.petrel.api.engine.ModelArchitecture;
import dev.petrel.api.experts.Experts;
import dev.petrel.api.experts.FeedForward;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The {@code qwen2moe} architecture (Qwen1.5-MoE, Qwen2-MoE): NeoX RoPE, optional q/k/v biases,
 * softmax top-k experts without renormalisation, plus one shared expert scaled per token by
 * {@code sigmoid(ffn_gate_inp_shexp . x)}.
 */
@Component(service = ModelArchitecture.class, property = ModelArchitecture.ARCH + "=qwen2moe")
public final class Qwen2MoeArchitecture extends DecoderArchitecture {

    @Activate
    public Qwen2MoeArchitecture(
            @Reference(name = "attention", target = "(attention=gqa)") AttentionStrategy attention,
            @Reference(name = "feedForward") FeedForward feedForward, @Reference(name = "experts") Experts experts) {
        super("qwen2moe", DecoderVariant.QWEN2MOE, attention, feedForward, experts);
    }
}
