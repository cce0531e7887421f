package dev.petrel.shell;

import dev.petrel.api.PetrelException;
import dev.petrel.api.kernel.BufferUsage;
import dev.petrel.api.kernel.Device;
import dev.petrel.api.kernel.KernelBackend;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.felix.service.command.Descriptor;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.SatisfiedReferenceDTO;

/**
 * {@code petrel:backend list | use NAME | use auto}: the registered kernel backends, which one
 * the engine uses, and pinning one. Pinning writes {@code backend.target=(kernel=NAME)} into
 * the engine's configuration ({@code dev.petrel.engine}); the engine keeps its loaded models
 * and moves them, and their sessions follow at their next token. {@code use auto} removes the
 * pin: the highest {@code service.ranking} wins again.
 */
@Component(service = BackendCommand.class, property = {
    "osgi.command.scope=petrel",
    "osgi.command.function=backend"
})
public class BackendCommand {

    static final String USAGE = "usage: backend list | backend use NAME|auto";
    static final String ENGINE_PID = "dev.petrel.engine";
    static final String ENGINE_COMPONENT = "dev.petrel.engine.PetrelEngine";
    static final String TARGET = "backend.target";
    private static final long WAIT_MILLIS = 20_000;

    @Reference
    ConfigurationAdmin configurations;

    @Reference
    ServiceComponentRuntime scr;

    private BundleContext context;

    @Activate
    void activate(BundleContext bundleContext) {
        this.context = bundleContext;
    }

    @Descriptor("kernel backends: backend list | backend use NAME|auto")
    public String backend(@Descriptor("list | use NAME|auto") String... argv) throws IOException, InterruptedException {
        CommandArgs args = CommandArgs.parse("backend", argv, Set.of(), Set.of());
        List<String> words = args.positional();
        if (words.equals(List.of("list")) || words.isEmpty()) {
            return list();
        }
        if (words.size() == 2 && words.get(0).equals("use")) {
            return use(words.get(1));
        }
        throw new CommandArgs.UsageException(USAGE);
    }

    private String list() throws IOException {
        List<ServiceReference<KernelBackend>> refs = backends();
        if (refs.isEmpty()) {
            return "no kernel backend is registered";
        }
        long bound = boundBackendId();
        String pin = pinnedTarget();
        StringBuilder out = new StringBuilder(String.format("%-3s %-12s %8s %-8s %6s %7s %10s %10s%n",
                "", "kernel", "ranking", "device", "units", "leases", "weights", "caches"));
        for (ServiceReference<KernelBackend> ref : refs) {
            KernelBackend backend = context.getService(ref);
            if (backend == null) {
                continue;   // left while we listed
            }
            try {
                Device device = backend.device();
                out.append(String.format("%-3s %-12s %8d %-8s %6d %7d %10s %10s%n",
                        serviceId(ref) == bound ? "*" : "",
                        ref.getProperty(KernelBackend.KERNEL), ranking(ref), device.name(), device.computeUnits(),
                        backend.openLeases(), mib(backend.allocatedBytes(BufferUsage.WEIGHTS)),
                        mib(backend.allocatedBytes(BufferUsage.CACHE))));
            } finally {
                context.ungetService(ref);
            }
        }
        out.append(bound >= 0 ? "* the engine's backend"
                : engineActive() ? "the engine uses no backend now"
                : "the engine is not started yet: it binds its backend when first used");
        out.append(pin == null ? "; chosen by service.ranking" : "; pinned by " + TARGET + "=" + pin);
        return out.toString();
    }

    private String use(String name) throws IOException, InterruptedException {
        Configuration configuration = configurations.getConfiguration(ENGINE_PID, "?");
        Dictionary<String, Object> properties = configuration.getProperties();
        if (properties == null) {
            properties = new Hashtable<>();
        }
        if (name.equals("auto")) {
            properties.remove(TARGET);
            configuration.update(properties);
            return "no backend pinned: the engine binds the highest-ranked one";
        }
        if (!name.matches("[A-Za-z0-9._-]+")) {
            throw new CommandArgs.UsageException("backend use: '" + name + "' is not a backend name");
        }
        List<String> known = backends().stream().map(r -> String.valueOf(r.getProperty(KernelBackend.KERNEL))).toList();
        properties.put(TARGET, "(" + KernelBackend.KERNEL + "=" + name + ")");
        configuration.update(properties);
        if (!known.contains(name)) {
            return "pinned '" + name + "', which is not registered now (registered: " + String.join(", ", known)
                    + "): the engine keeps its models where they are until it appears; 'backend use auto' undoes it";
        }
        long deadline = System.currentTimeMillis() + WAIT_MILLIS;
        while (!name.equals(boundBackendName())) {
            if (System.currentTimeMillis() > deadline) {
                throw new PetrelException("the engine did not switch to backend '" + name + "' within "
                        + WAIT_MILLIS / 1000 + " s");
            }
            Thread.sleep(10);
        }
        return "the engine now uses backend '" + name + "'; loaded models moved and their sessions follow at their next token";
    }

    private List<ServiceReference<KernelBackend>> backends() {
        try {
            Collection<ServiceReference<KernelBackend>> refs = context.getServiceReferences(KernelBackend.class, null);
            List<ServiceReference<KernelBackend>> sorted = new ArrayList<>(refs);
            sorted.sort((a, b) -> b.compareTo(a));   // highest ranking first
            return sorted;
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private String pinnedTarget() throws IOException {
        Configuration[] found;
        try {
            found = configurations.listConfigurations("(" + Constants.SERVICE_PID + "=" + ENGINE_PID + ")");
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        if (found == null || found[0].getProperties() == null) {
            return null;
        }
        Object target = found[0].getProperties().get(TARGET);
        return target == null ? null : target.toString();
    }

    /**
     * The service id of the backend the engine uses, or -1: the engine binds every backend
     * that matches its pin and uses the first in the framework's order (highest ranking, then
     * lowest id), which is the order of {@link #backends()}.
     */
    private long boundBackendId() {
        Set<Long> bound = scr.getComponentDescriptionDTOs().stream()
                .filter(d -> d.name.equals(ENGINE_COMPONENT))
                .flatMap(d -> scr.getComponentConfigurationDTOs(d).stream())
                .filter(c -> c.state == ComponentConfigurationDTO.ACTIVE)
                .flatMap(c -> Arrays.stream(c.satisfiedReferences))
                .filter(r -> r.name.equals("backend"))
                .flatMap((SatisfiedReferenceDTO r) -> Arrays.stream(r.boundServices))
                .map(s -> s.id)
                .collect(Collectors.toSet());
        return backends().stream().mapToLong(BackendCommand::serviceId).filter(bound::contains).findFirst()
                .orElse(-1);
    }

    private boolean engineActive() {
        return scr.getComponentDescriptionDTOs().stream()
                .filter(d -> d.name.equals(ENGINE_COMPONENT))
                .flatMap(d -> scr.getComponentConfigurationDTOs(d).stream())
                .anyMatch(c -> c.state == ComponentConfigurationDTO.ACTIVE);
    }

    private String boundBackendName() {
        long id = boundBackendId();
        return backends().stream().filter(r -> serviceId(r) == id)
                .map(r -> String.valueOf(r.getProperty(KernelBackend.KERNEL)))
                .collect(Collectors.joining());
    }

    private static long serviceId(ServiceReference<?> ref) {
        return (Long) ref.getProperty(Constants.SERVICE_ID);
    }

    private static int ranking(ServiceReference<?> ref) {
        return ref.getProperty(Constants.SERVICE_RANKING) instanceof Integer r ? r : 0;
    }

    private static String mib(long bytes) {
        return String.format("%.1f MiB", bytes / (double) (1L << 20));
    }
}
