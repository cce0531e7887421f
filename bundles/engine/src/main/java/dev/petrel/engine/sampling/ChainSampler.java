package dev.petrel.engine.sampling;

import dev.petrel.api.engine.Sampler;
import dev.petrel.api.engine.SamplerSettings;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * The sampler chain llama.cpp applies, in its order: penalties over the recent history, then
 * top-k, top-p, min-p, temperature and a seeded draw. Temperature 0 is greedy: the highest
 * logit after penalties, the lowest id on ties.
 */
public final class ChainSampler implements Sampler {

    private final SamplerSettings settings;
    private final SplittableRandom random;

    public ChainSampler(SamplerSettings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.random = settings.seed() == SamplerSettings.RANDOM_SEED
                ? new SplittableRandom()
                : new SplittableRandom(settings.seed());
    }

    public SamplerSettings settings() {
        return settings;
    }

    @Override
    public int sample(float[] logits, int[] history) {
        applyPenalties(logits, history);
        if (settings.isGreedy()) {
            return argmax(logits);
        }
        Candidates candidates = Candidates.best(logits, settings.topK());
        candidates.keepTopP(settings.topP());
        candidates.keepMinP(settings.minP());
        candidates.divide(settings.temperature());
        return candidates.draw(random.nextDouble());
    }

    /**
     * Repetition, frequency and presence penalties on the tokens of the last
     * {@code penaltyWindow} ids: a repeated token's logit is divided by the repetition penalty
     * (multiplied when negative), then lowered by the frequency penalty per occurrence and by
     * the presence penalty once.
     */
    void applyPenalties(float[] logits, int[] history) {
        int window = settings.penaltyWindow() == -1 ? history.length : Math.min(settings.penaltyWindow(), history.length);
        boolean off = settings.repeatPenalty() == 1 && settings.frequencyPenalty() == 0
                && settings.presencePenalty() == 0;
        if (window == 0 || off) {
            return;
        }
        Map<Integer, Integer> counts = new HashMap<>();
        for (int i = history.length - window; i < history.length; i++) {
            counts.merge(history[i], 1, Integer::sum);
        }
        counts.forEach((id, count) -> {
            if (id < 0 || id >= logits.length) {
                return;
            }
            float logit = logits[id];
            logit = logit <= 0 ? logit * settings.repeatPenalty() : logit / settings.repeatPenalty();
            logits[id] = logit - count * settings.frequencyPenalty() - settings.presencePenalty();
        });
    }

    /** The index of the largest logit, the lowest on ties. */
    static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }
}
