package dev.petrel.shell;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.util.tracker.ServiceTracker;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

/**
 * Runs one console command given on the command line ({@code ./petrel tokenize ...}),
 * prints its result and ends the process with its status: 0 on success, 1 on an error,
 * 2 on wrong usage.
 *
 * <p>The bnd launcher publishes the command line as the {@code launcher.arguments}
 * property of a service, and calls a {@code Callable} registered with
 * {@code main.thread=true} on the main thread, exiting with its result. With no
 * arguments nothing is registered, and the interactive Gogo console runs instead.
 *
 * <p>The arguments reach Gogo as session variables, not as text to parse, so a text to
 * tokenize may hold quotes, pipes, dollars or braces.
 */
@Component(immediate = true)
public class CommandLineRunner {

    private static final long COMMAND_WAIT_SECONDS = 20;
    private static final String DEFAULT_SCOPE = "petrel";

    @Reference
    CommandProcessor processor;

    @Reference
    ServiceComponentRuntime scr;

    @Reference(service = Object.class, target = "(launcher.arguments=*)")
    Map<String, Object> launcher;

    private ServiceRegistration<?> registration;

    @Activate
    void activate(BundleContext context) {
        String[] args = (String[]) launcher.get("launcher.arguments");
        if (args == null || args.length == 0) {
            return;
        }
        Hashtable<String, Object> properties = new Hashtable<>();
        properties.put("main.thread", "true");
        registration = context.registerService(Callable.class, new MainThreadCommand(context, args), properties);
    }

    @Deactivate
    void deactivate() {
        if (registration != null) {
            registration.unregister();
        }
    }

    /** A named class, not a lambda: the launcher checks the declared type {@code Callable<Integer>}. */
    private final class MainThreadCommand implements Callable<Integer> {
        private final BundleContext context;
        private final String[] args;

        MainThreadCommand(BundleContext context, String[] args) {
            this.context = context;
            this.args = args;
        }

        @Override
        public Integer call() throws InterruptedException {
            return run(context, args);
        }
    }

    private int run(BundleContext context, String[] args) throws InterruptedException {
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        PrintStream err = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
        String name = args[0].contains(":") ? args[0] : DEFAULT_SCOPE + ":" + args[0];
        if (name.equals(DEFAULT_SCOPE + ":help")) {
            out.println(help(context));
            return 0;
        }
        String missing = awaitCommand(context, name);
        if (missing != null) {
            err.println("petrel: " + missing);
            err.println(help(context));
            return 2;
        }
        try (CommandSession session = processor.createSession(new FileInputStream(FileDescriptor.in), out, err)) {
            StringBuilder line = new StringBuilder(name);
            for (int i = 1; i < args.length; i++) {
                session.put("arg" + i, args[i]);
                line.append(" $arg").append(i);
            }
            Object result = session.execute(line);
            if (result != null) {
                out.println(session.format(result, Converter.INSPECT));
            }
            out.flush();
            return 0;
        } catch (Exception e) {
            Throwable cause = e instanceof InvocationTargetException ite && ite.getCause() != null ? ite.getCause() : e;
            if (cause instanceof CommandArgs.UsageException) {
                err.println(cause.getMessage());
                return 2;
            }
            err.println("error: " + (cause.getMessage() != null ? cause.getMessage() : cause.toString()));
            if (Boolean.getBoolean("petrel.debug")) {
                cause.printStackTrace(err);
            }
            return 1;
        }
    }

    /**
     * Waits until the command's component is registered: its dependencies may still be
     * starting. Returns null when it is there, else why not. A command that no component
     * declares is reported at once; commands outside Declarative Services (Gogo's own)
     * are left for Gogo to find.
     */
    private String awaitCommand(BundleContext context, String name) throws InterruptedException {
        String scope = name.substring(0, name.indexOf(':'));
        String function = name.substring(name.indexOf(':') + 1);
        ComponentDescriptionDTO declared = scr.getComponentDescriptionDTOs().stream()
                .filter(d -> scope.equals(d.properties.get("osgi.command.scope"))
                        && functions(d.properties.get("osgi.command.function")).contains(function))
                .findFirst().orElse(null);
        if (declared == null) {
            return DEFAULT_SCOPE.equals(scope) ? "unknown command '" + function + "'" : null;
        }
        ServiceTracker<Object, Object> tracker;
        try {
            tracker = new ServiceTracker<>(context, context.createFilter(
                    "(&(osgi.command.scope=" + scope + ")(osgi.command.function=" + function + "))"), null);
        } catch (InvalidSyntaxException e) {
            return "invalid command name '" + name + "'";
        }
        tracker.open();
        try {
            if (tracker.waitForService(TimeUnit.SECONDS.toMillis(COMMAND_WAIT_SECONDS)) != null) {
                return null;
            }
        } finally {
            tracker.close();
        }
        String unsatisfied = scr.getComponentConfigurationDTOs(declared).stream()
                .flatMap(c -> Arrays.stream(c.unsatisfiedReferences))
                .map(r -> r.name + " " + r.target)
                .collect(Collectors.joining(", "));
        return "command '" + name + "' is not available" + (unsatisfied.isEmpty() ? "" : ": missing " + unsatisfied);
    }

    private static List<String> functions(Object property) {
        if (property instanceof String[] list) {
            return Arrays.asList(list);
        }
        return property == null ? List.of() : List.of(property.toString());
    }

    private static String help(BundleContext context) {
        TreeSet<String> names = new TreeSet<>();
        try {
            ServiceReference<?>[] refs = context.getAllServiceReferences(null, "(osgi.command.scope=" + DEFAULT_SCOPE + ")");
            for (ServiceReference<?> ref : refs == null ? new ServiceReference<?>[0] : refs) {
                names.addAll(functions(ref.getProperty("osgi.command.function")));
            }
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        return "usage: petrel COMMAND [ARGS...]   (no command: interactive console)\ncommands: " + String.join(", ", names);
    }
}
