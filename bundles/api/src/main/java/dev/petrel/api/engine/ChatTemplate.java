package dev.petrel.api.engine;

import dev.petrel.api.tokenizer.Tokenizer;
import java.util.List;
import java.util.Map;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Renders chat messages with a model's Jinja chat template ({@code tokenizer.chat_template},
 * or {@code chat_template} in tokenizer_config.json), by a real Jinja engine. The result is
 * encoded with {@code parseSpecial} true and {@code addSpecial} false: templates write their
 * own BOS and turn markers. Thread-safe.
 */
@ProviderType
public interface ChatTemplate {

    /**
     * Renders with the tokenizer's template; {@code bos_token} and {@code eos_token} are the
     * tokenizer's.
     *
     * @param addGenerationPrompt end with the opening of an assistant turn
     *        ({@code add_generation_prompt})
     * @throws dev.petrel.api.ModelFormatException naming {@code tokenizer.chat_template} when
     *         the model has no template or it does not render (with the template's error)
     */
    String render(Tokenizer tokenizer, List<ChatMessage> messages, boolean addGenerationPrompt);

    /**
     * Renders {@code template} with {@code messages}, {@code add_generation_prompt} and extra
     * variables (for example {@code bos_token}, {@code eos_token}, {@code tools}).
     */
    String render(String template, List<ChatMessage> messages, boolean addGenerationPrompt,
            Map<String, ?> variables);
}
