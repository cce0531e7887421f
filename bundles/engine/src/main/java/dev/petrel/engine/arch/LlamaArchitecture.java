package dev.petrel.engine.arch;

import dev.petrel.api.attention.AttentionStrategy;
import dev.petrel.api.engine.ModelArchitecture;
import dev.petrel.api.experts.Experts;
import dev.petrel.api.experts.FeedForward;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The {@code llama} architecture: adjacent-pair RoPE, optional attention biases, Llama 3 rope
 * factors; with {@code expert_count > 0} Mixtral's experts (softmax top-k, renormalised).
 */
@Component(service = ModelArchitecture.class, property = ModelArchitecture.ARCH + "=llama")
public final class LlamaArchitecture extends DecoderArchitecture {

    @Activate
    public LlamaArchitecture(@Reference(name = "attention", target = "(attention=gqa)") AttentionStrategy attention,
            @Reference(name = "feedForward") FeedForward feedForward, @Reference(name = "experts") Experts experts) {
        super("llama", DecoderVariant.LLAMA, attention, feedForward, experts);
    }
}
