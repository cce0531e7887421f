package dev.petrel.api.engine;

import java.util.Objects;

/**
 * One message of a chat, as chat templates see it ({@code message.role},
 * {@code message.content}).
 *
 * @param role {@code system}, {@code user} or {@code assistant} (templates may know others)
 * @param content the text; for an assistant turn of a reasoning model, the answer without its
 *        {@code <think>} section, as the templates expect
 */
public record ChatMessage(String role, String content) {

    public ChatMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
        if (role.isBlank()) {
            throw new IllegalArgumentException("chat message role is blank");
        }
    }

    public static ChatMessage system(String content) {
        return new ChatMessage("system", content);
    }

    public static ChatMessage user(String content) {
        return new ChatMessage("user", content);
    }

    public static ChatMessage assistant(String content) {
        return new ChatMessage("assistant", content);
    }
}
