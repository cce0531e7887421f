package dev.petrel.quant.internal;

import dev.petrel.api.quant.QuantFormat;
import dev.petrel.api.weights.TensorType;
import org.osgi.service.component.annotations.Component;

/** Q8_0: blocks of an F16 scale and 32 int8 quants; dot type Q8_0. */
@Component(service = QuantFormat.class, property = QuantFormat.TYPE + "=Q8_0")
public final class Q8_0Format extends KernelFormat {

    public Q8_0Format() {
        super(TensorType.Q8_0);
    }
}
