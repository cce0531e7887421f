package dev.petrel.quant.internal;

import dev.petrel.api.quant.QuantFormat;
import dev.petrel.api.weights.TensorType;
import org.osgi.service.component.annotations.Component;

/** BF16: the upper half of an F32; dot type BF16. */
@Component(service = QuantFormat.class, property = QuantFormat.TYPE + "=BF16")
public final class BF16Format extends KernelFormat {

    public BF16Format() {
        super(TensorType.BF16);
    }
}
