package dev.petrel.quant.internal;

import dev.petrel.api.quant.QuantFormat;
import dev.petrel.api.weights.TensorType;
import org.osgi.service.component.annotations.Component;

/** F32: little-endian IEEE binary32; dot type F32. */
@Component(service = QuantFormat.class, property = QuantFormat.TYPE + "=F32")
public final class F32Format extends KernelFormat {

    public F32Format() {
        super(TensorType.F32);
    }
}
