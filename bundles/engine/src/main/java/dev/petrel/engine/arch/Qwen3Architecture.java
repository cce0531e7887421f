package dev.petrel.engine.arch;

import dev.petrel.api.attention.AttentionStrategy;
import dev.petrel.api.engine.ModelArchitecture;
import dev.petrel.api.experts.FeedForward;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** The {@code qwen3} architecture: NeoX RoPE, each query and key head RMS-normalised before it. */
@Component(service = ModelArchitecture.class, property = ModelArchitecture.ARCH + "=qwen3")
public final class Qwen3Architecture extends DecoderArchitecture {

    @Activate
    public Qwen3Architecture(@Reference(name = "attention", target = "(attention=gqa)") AttentionStrategy attention,
            @Reference(name = "feedForward") FeedForward feedForward) {
        super("qwen3", DecoderVariant.QWEN3, attention, feedForward);
    }
}
