package dev.petrel.quant.internal;

import dev.petrel.api.quant.QuantFormat;
import dev.petrel.api.weights.TensorType;
import org.osgi.service.component.annotations.Component;

/** F16: IEEE binary16; dot type F16. */
@Component(service = QuantFormat.class, property = QuantFormat.TYPE + "=F16")
public final class F16Format extends KernelFormat {

    public F16Format() {
        super(TensorType.F16);
    }
}
