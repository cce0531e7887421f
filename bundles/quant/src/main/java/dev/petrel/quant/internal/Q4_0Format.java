package dev.petrel.quant.internal;

import dev.petrel.api.quant.QuantFormat;
import dev.petrel.api.weights.TensorType;
import org.osgi.service.component.annotations.Component;

/** Q4_0: blocks of an F16 scale and 32 nibbles (element j low, j + 16 high); dot type Q8_0. */
@Component(service = QuantFormat.class, property = QuantFormat.TYPE + "=Q4_0")
public final class Q4_0Format extends KernelFormat {

    public Q4_0Format() {
        super(TensorType.Q4_0);
    }
}
