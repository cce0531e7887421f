package dev.petrel.api.engine;

/**
 * How the next token is picked from the logits, in llama.cpp's order: penalties over the last
 * {@code penaltyWindow} tokens, then top-k, top-p, min-p, temperature, and a draw from the
 * resulting distribution. Temperature 0 is greedy: the highest logit after penalties
 * (lowest id on ties), with no draw.
 *
 * @param temperature 0 for greedy, else the softmax temperature
 * @param topK keep the k most likely tokens; 0 keeps all
 * @param topP keep the smallest set of tokens whose probability reaches p; 1 keeps all
 * @param minP drop tokens less likely than {@code minP} times the most likely; 0 keeps all
 * @param repeatPenalty divide positive (multiply negative) logits of tokens in the window;
 *        1 is off
 * @param frequencyPenalty subtracted from a token's logit once per occurrence in the window
 * @param presencePenalty subtracted from the logit of every token present in the window
 * @param penaltyWindow tokens of history the penalties look at; 0 turns them off, -1 means
 *        the whole history
 * @param seed seed of the random draw, or {@link #RANDOM_SEED} for a fresh one each time
 */
public record SamplerSettings(float temperature, int topK, float topP, float minP, float repeatPenalty,
        float frequencyPenalty, float presencePenalty, int penaltyWindow, long seed) {

    /** A seed value meaning: draw a fresh seed. */
    public static final long RANDOM_SEED = -1;

    /** llama.cpp's defaults. */
    public static final SamplerSettings DEFAULTS = new SamplerSettings(0.8f, 40, 0.95f, 0.05f, 1f, 0f, 0f, 64, RANDOM_SEED);

    /** Greedy decoding, no penalties. */
    public static final SamplerSettings GREEDY = new SamplerSettings(0f, 0, 1f, 0f, 1f, 0f, 0f, 0, RANDOM_SEED);

    public SamplerSettings {
        if (!(temperature >= 0) || !Float.isFinite(temperature) || topK < 0 || !(topP > 0 && topP <= 1)
                || !(minP >= 0 && minP < 1) || !(repeatPenalty > 0) || !Float.isFinite(repeatPenalty)
                || !Float.isFinite(frequencyPenalty) || !Float.isFinite(presencePenalty) || penaltyWindow < -1) {
            throw new IllegalArgumentException("sampler settings out of range: temperature " + temperature + ", top-k "
                    + topK + ", top-p " + topP + ", min-p " + minP + ", repeat penalty " + repeatPenalty
                    + ", penalty window " + penaltyWindow);
        }
    }

    public boolean isGreedy() {
        return temperature == 0;
    }

    public SamplerSettings withTemperature(float t) {
        return new SamplerSettings(t, topK, topP, minP, repeatPenalty, frequencyPenalty, presencePenalty,
                penaltyWindow, seed);
    }

    public SamplerSettings withSeed(long s) {
        return new SamplerSettings(temperature, topK, topP, minP, repeatPenalty, frequencyPenalty, presencePenalty,
                penaltyWindow, s);
    }
}
