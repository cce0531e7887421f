/**
 * What a reasoning model writes: DeepSeek-R1 and its distillations (and Qwen3 in thinking
 * mode) first reason inside {@code <think>...</think>}, then answer.
 * {@link dev.petrel.chat.ReasoningSplit} splits a finished text in two;
 * {@link dev.petrel.chat.ReasoningStream} does it while tokens stream, so a console can show
 * the reasoning apart (or hide it) and keep it out of the history sent back to the model.
 *
 * <p>The chat templates themselves are rendered by this bundle's
 * {@link dev.petrel.api.engine.ChatTemplate} service.
 */
@Export
@Version("1.0.0")
package dev.petrel.chat;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
