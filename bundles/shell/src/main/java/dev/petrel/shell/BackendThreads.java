package dev.petrel.shell;

import dev.petrel.api.PetrelException;
import dev.petrel.api.kernel.KernelBackend;
import java.io.IOException;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.concurrent.TimeUnit;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.util.tracker.ServiceTracker;

/**
 * {@code --threads N}: sets the thread count of the Vector API backend through Config Admin
 * (its PID, property {@code threads}) and waits until the backend is back with it.
 */
final class BackendThreads {

    static final String PID = "dev.petrel.kernels.java";
    private static final long WAIT_SECONDS = 20;

    private BackendThreads() {
    }

    static void apply(ConfigurationAdmin configurations, BundleContext context, int threads) {
        if (threads < 1) {
            throw new CommandArgs.UsageException("--threads must be at least 1");
        }
        try {
            Configuration configuration = configurations.getConfiguration(PID, "?");
            Dictionary<String, Object> properties = configuration.getProperties();
            if (properties == null) {
                properties = new Hashtable<>();
            }
            properties.put("threads", threads);
            configuration.updateIfDifferent(properties);
            awaitBackend(context, threads);
        } catch (IOException e) {
            throw new PetrelException("cannot configure " + PID + ": " + e.getMessage(), e);
        }
    }

    private static void awaitBackend(BundleContext context, int threads) {
        String filter = "(&(objectClass=" + KernelBackend.class.getName() + ")(" + KernelBackend.KERNEL
                + "=java)(threads=" + threads + "))";
        try {
            ServiceTracker<?, ?> tracker = new ServiceTracker<>(context, context.createFilter(filter), null);
            tracker.open();
            try {
                if (tracker.waitForService(TimeUnit.SECONDS.toMillis(WAIT_SECONDS)) == null) {
                    throw new PetrelException("the java backend did not restart with " + threads + " threads within "
                            + WAIT_SECONDS + " s");
                }
            } finally {
                tracker.close();
            }
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PetrelException("interrupted while waiting for the java backend");
        }
    }
}
