package dev.petrel.tokenizer.core;

import dev.petrel.api.tokenizer.TokenKind;
import dev.petrel.api.tokenizer.Tokenizer;
import java.util.Objects;
import java.util.Optional;

/**
 * A tokenizer assembled from its parts: special tokens are cut out first, each plain fragment
 * is normalized and handed to the model's encoder, and ids decode through their bytes.
 * Immutable; the encoder's caches are thread-safe.
 */
public final class ModelTokenizer implements Tokenizer {

    /** What a tokenizer is made of. */
    public record Parts(
            String model,
            String preTokenizer,
            Vocabulary vocabulary,
            SpecialTokenSplitter splitter,
            TextNormalizer normalizer,
            FragmentEncoder encoder,
            TokenDecoder decoder,
            SpecialTokens specials,
            String chatTemplate) {

        public Parts {
            Objects.requireNonNull(model, "model");
            Objects.requireNonNull(preTokenizer, "preTokenizer");
            Objects.requireNonNull(vocabulary, "vocabulary");
            Objects.requireNonNull(splitter, "splitter");
            Objects.requireNonNull(normalizer, "normalizer");
            Objects.requireNonNull(encoder, "encoder");
            Objects.requireNonNull(decoder, "decoder");
            Objects.requireNonNull(specials, "specials");
        }
    }

    private final Parts parts;

    public ModelTokenizer(Parts parts) {
        this.parts = Objects.requireNonNull(parts);
    }

    @Override
    public String model() {
        return parts.model();
    }

    @Override
    public String preTokenizer() {
        return parts.preTokenizer();
    }

    @Override
    public int vocabularySize() {
        return parts.vocabulary().size();
    }

    @Override
    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        IntList out = new IntList(Math.max(16, text.length() / 3));
        SpecialTokens specials = parts.specials();
        if (addSpecial && specials.addBos()) {
            out.add(specials.bos());
        }
        parts.splitter().split(text, parseSpecial, new SpecialTokenSplitter.Sink() {
            @Override
            public void text(String fragment, boolean followsBoundary) {
                parts.encoder().encode(parts.normalizer().normalize(fragment), followsBoundary, out);
            }

            @Override
            public void token(int id) {
                out.add(id);
            }
        });
        if (addSpecial && specials.addEos()) {
            out.add(specials.eos());
        }
        return out.toArray();
    }

    @Override
    public String decode(int[] ids, boolean renderSpecial) {
        return parts.decoder().decode(ids, renderSpecial);
    }

    @Override
    public byte[] tokenBytes(int id) {
        return parts.decoder().tokenBytes(id);
    }

    @Override
    public String tokenText(int id) {
        return parts.vocabulary().text(id);
    }

    @Override
    public TokenKind kind(int id) {
        return parts.vocabulary().kind(id);
    }

    @Override
    public Optional<Integer> id(String tokenText) {
        int id = parts.vocabulary().id(tokenText);
        return id < 0 ? Optional.empty() : Optional.of(id);
    }

    @Override
    public int bosId() {
        return parts.specials().bos();
    }

    @Override
    public int eosId() {
        return parts.specials().eos();
    }

    @Override
    public boolean isEndOfGeneration(int id) {
        return parts.specials().isEndOfGeneration(id);
    }

    @Override
    public Optional<String> chatTemplate() {
        return Optional.ofNullable(parts.chatTemplate());
    }

    @Override
    public String toString() {
        return "Tokenizer[" + model() + "/" + preTokenizer() + ", " + vocabularySize() + " tokens]";
    }
}
