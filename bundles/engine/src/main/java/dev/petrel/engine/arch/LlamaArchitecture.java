package dev.petrel.engine.arch;

import dev.petrel.api.attention.AttentionStrategy;
import dev.petrel.api.engine.ModelArchitecture;
import dev.petrel.api.experts.FeedForward;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** The {@code llama} architecture: adjacent-pair RoPE, optional attention biases, Llama 3 rope factors. */
@Component(service = ModelArchitecture.class, property = ModelArchitecture.ARCH + "=llama")
public final class LlamaArchitecture extends DecoderArchitecture {

    @Activate
    public LlamaArchitecture(@Reference(name = "attention", target = "(attention=gqa)") AttentionStrategy attention,
            @Reference(name = "feedForward") FeedForward feedForward) {
        super("llama", DecoderVariant.LLAMA, attention, feedForward);
    }
}
