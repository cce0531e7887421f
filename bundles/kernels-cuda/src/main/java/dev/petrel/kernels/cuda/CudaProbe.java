package dev.petrel.kernels.cuda;

import dev.petrel.api.kernel.KernelBackend;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Hashtable;
import jcuda.CudaException;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.JCudaDriver;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

/**
 * Probes for a usable GPU when the bundle starts and registers the CUDA {@link KernelBackend}
 * ({@code kernel=cuda}) only when there is one: the driver library loads, {@code cuInit}
 * succeeds, device 0 has compute capability 8.0 or more, and the bundle holds the PTX for it.
 * Otherwise it registers nothing and logs one line saying why; the framework and the Java
 * backends are untouched. Stopping and starting this bundle probes again (a device that was
 * busy or absent is picked up); a driver installed after JCuda failed to load needs the
 * {@code org.jcuda.jcuda} bundle refreshed too, as the JVM keeps a failed class initialisation.
 *
 * <p>Configuration (PID {@code dev.petrel.kernels.cuda}): {@code service.ranking} (default 50,
 * below the Java backend until {@code scripts/gpu-check} has passed on the machine), {@code
 * device} (index, default 0), {@code lease.timeout.ms} (default 5000).
 */
@Component(immediate = true, configurationPid = CudaProbe.PID)
public final class CudaProbe {

    static final String PID = "dev.petrel.kernels.cuda";
    static final String NAME = "cuda";
    private static final System.Logger LOG = System.getLogger(CudaProbe.class.getName());

    /** Configuration of the probe and of the backend it registers. */
    public @interface Config {
        int service_ranking() default 50;

        int device() default 0;

        long lease_timeout_ms() default 5000;
    }

    private CudaKernelBackend backend;
    private ServiceRegistration<KernelBackend> registration;
    private Duration leaseWait = Duration.ofSeconds(5);

    @Activate
    void activate(BundleContext context, Config config) {
        leaseWait = Duration.ofMillis(Math.max(0, config.lease_timeout_ms()));
        String why;
        try {
            why = probe(config.device());
        } catch (LinkageError e) {
            why = "the CUDA driver cannot be loaded (" + rootMessage(e) + ")";
        } catch (CudaException e) {
            why = "CUDA reports " + e.getMessage();
        }
        if (why != null) {
            LOG.log(System.Logger.Level.INFO, "kernels-cuda: no CUDA backend registered: " + why
                    + "; the Java backends carry on");
            return;
        }
        Hashtable<String, Object> properties = new Hashtable<>();
        properties.put(KernelBackend.KERNEL, NAME);
        properties.put("service.ranking", config.service_ranking());
        properties.put("device", backend.device().name());
        registration = context.registerService(KernelBackend.class, backend, properties);
        LOG.log(System.Logger.Level.INFO, "kernels-cuda: registered kernel=cuda on " + backend.device().name());
    }

    /** Null when a backend was made, else why not. */
    private String probe(int index) {
        JCudaDriver.setExceptionsEnabled(true);
        JCudaDriver.cuInit(0);
        int[] count = {0};
        JCudaDriver.cuDeviceGetCount(count);
        if (count[0] == 0) {
            return "the driver sees no CUDA device";
        }
        if (index < 0 || index >= count[0]) {
            return "device " + index + " is configured, the driver sees devices 0.." + (count[0] - 1);
        }
        CUdevice device = new CUdevice();
        JCudaDriver.cuDeviceGet(device, index);
        int major = attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
        int minor = attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
        if (major < 8) {
            return "device " + index + " has compute capability " + major + "." + minor + ", the PTX needs 8.0 or more";
        }
        String ptxName = major >= 9 ? "ptx/petrel-sm90.ptx" : "ptx/petrel-sm80.ptx";
        byte[] ptx = resource(ptxName);
        if (ptx == null) {
            return "the bundle holds no " + ptxName + ": it was built without nvcc on the PATH";
        }
        backend = CudaKernelBackend.open(device, index, major, minor, ptx);
        return null;
    }

    private static int attribute(CUdevice device, int attribute) {
        int[] value = {0};
        JCudaDriver.cuDeviceGetAttribute(value, attribute, device);
        return value[0];
    }

    private static byte[] resource(String name) {
        try (InputStream in = CudaProbe.class.getClassLoader().getResourceAsStream(name)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            return null;
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage() != null ? root.getMessage() : root.toString();
        return message.contains("libcuda") ? "libcuda.so.1 is not installed: " + message.lines().findFirst().orElse("")
                : message.lines().findFirst().orElse(message);
    }

    @Deactivate
    void deactivate() {
        if (registration != null) {
            registration.unregister();
            registration = null;
        }
        if (backend != null) {
            backend.shutdown(leaseWait);
            backend = null;
        }
    }
}
