package dev.petrel.engine.arch;

import dev.petrel.api.attention.AttentionStrategy;
import dev.petrel.api.engine.ModelArchitecture;
import dev.petrel.api.experts.FeedForward;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** The {@code qwen2} architecture: NeoX RoPE, biases on the query, key and value projections. */
@Component(service = ModelArchitecture.class, property = ModelArchitecture.ARCH + "=qwen2")
public final class Qwen2Architecture extends DecoderArchitecture {

    @Activate
    public Qwen2Architecture(@Reference(name = "attention", target = "(attention=gqa)") AttentionStrategy attention,
            @Reference(name = "feedForward") FeedForward feedForward) {
        super("qwen2", DecoderVariant.QWEN2, attention, feedForward);
    }
}
