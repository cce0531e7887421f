package dev.petrel.shell;

import dev.petrel.api.engine.Engine;
import dev.petrel.api.engine.LoadOptions;
import dev.petrel.api.engine.Model;
import dev.petrel.models.ModelResolver;
import java.io.IOException;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * What the commands that run a model share: {@code --model} resolved to a file (a path,
 * an {@code hf://} reference, downloaded on first use), {@code --threads} applied to the
 * Java backend, and the model loaded by the engine.
 */
@Component(service = ModelLoader.class)
public class ModelLoader {

    @Reference
    Engine engine;

    @Reference
    ModelResolver models;

    @Reference
    ConfigurationAdmin configurations;

    private BundleContext context;

    @Activate
    void activate(BundleContext context) {
        this.context = context;
    }

    /** Loads {@code reference} after applying the command's {@code --threads}, if given. */
    Model load(String reference, CommandArgs args, LoadOptions options) throws IOException {
        if (args.value("threads").isPresent()) {
            BackendThreads.apply(configurations, context, args.intValue("threads", 0));
        }
        return engine.load(models.resolve(reference), options);
    }
}
