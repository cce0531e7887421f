package dev.petrel.demo.hotswap;

import dev.petrel.api.engine.Engine;
import dev.petrel.api.engine.GenerationRequest;
import dev.petrel.api.engine.LoadOptions;
import dev.petrel.api.engine.Model;
import dev.petrel.api.engine.SamplerSettings;
import dev.petrel.api.engine.Session;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code petrel:demo MODEL.gguf [PROMPT]} starts generating text in the background and prints
 * it as it comes, marking every change of kernel backend; {@code petrel:demo stop} ends it.
 * Meanwhile the console stays free: {@code petrel:backend use java-scalar}, {@code
 * petrel:backend use auto}, {@code lb kernels} and {@code stop ID} / {@code start ID} on a
 * kernels bundle swap the backend under the running generation, which keeps flowing.
 */
@Component(service = DemoCommand.class, immediate = true, property = {"osgi.command.scope=petrel", "osgi.command.function=demo"})
public class DemoCommand {

    @Reference
    Engine engine;

    private ThreadPoolExecutor executor;
    private Future<?> generator;

    /**
     * The generator thread is started here, at bundle start (the component is immediate), not
     * by a command: Gogo interrupts the threads a command's job started once it returns.
     */
    @Activate
    void activate() {
        executor = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                r -> new Thread(r, "petrel-demo"));
        executor.prestartAllCoreThreads();
    }

    @Descriptor("generate in the background while you swap backends: demo MODEL.gguf [PROMPT] | demo stop")
    public synchronized String demo(@Descriptor("MODEL.gguf [PROMPT] | stop") String... args) {
        if (args.length == 1 && args[0].equals("stop")) {
            return stop() ? "demo stopped" : "no demo is running";
        }
        if (args.length < 1 || args.length > 2) {
            return "usage: demo MODEL.gguf [PROMPT] | demo stop";
        }
        stop();
        Path file = Path.of(args[0]);
        String prompt = args.length > 1 ? args[1] : "Once upon a time";
        generator = executor.submit(() -> run(file, prompt));
        return "generating from " + file + " in the background; try: petrel:backend list, petrel:backend use java-scalar, "
                + "lb kernels, stop ID, start ID, petrel:demo stop";
    }

    /** Rounds of generation, each continuing the text, until stopped; a failed request is reported, never hidden. */
    private void run(Path file, String prompt) {
        // not System.out: Gogo redirects it per command thread, this thread belongs to none
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        try (Model model = engine.load(file, new LoadOptions(2048, LoadOptions.DEFAULTS.cacheType(), null));
                Session session = model.openSession()) {
            String[] backend = {model.backend()};
            out.println("[demo: " + model.location() + " on " + backend[0] + "]");
            int[] ids = model.tokenizer().encode(prompt, true, false);
            SamplerSettings sampling = SamplerSettings.GREEDY;
            out.print(prompt);
            while (!Thread.currentThread().isInterrupted()) {
                if (session.position() + 64 >= session.contextLength()) {
                    session.truncate(0);
                    ids = model.tokenizer().encode(prompt, true, false);
                    out.print("\n[demo: context full, starting over]\n" + prompt);
                }
                session.generate(new GenerationRequest(ids, sampling, 64, List.of(), true), (id, piece) -> {
                    String now = model.backend();
                    if (!now.equals(backend[0])) {
                        out.print(" [" + backend[0] + " -> " + now + "] ");
                        backend[0] = now;
                    }
                    out.print(piece);
                    return !Thread.currentThread().isInterrupted();
                });
                ids = new int[0];
            }
        } catch (Exception e) {
            out.println("\n[demo: stopped by an error: " + e.getMessage() + "]");
            if (Boolean.getBoolean("petrel.debug")) {
                e.printStackTrace(out);
            }
        }
    }

    private boolean stop() {
        Future<?> running = generator;
        generator = null;
        if (running == null || running.isDone()) {
            return false;
        }
        running.cancel(true);   // interrupts the generation: it ends at its next token
        return true;
    }

    @Deactivate
    synchronized void deactivate() throws InterruptedException {
        stop();
        executor.shutdownNow();
        executor.awaitTermination(10, TimeUnit.SECONDS);
    }
}
