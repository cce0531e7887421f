package dev.petrel.engine.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.petrel.api.engine.SamplerSettings;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ChainSamplerTest {

    private static final int[] NO_HISTORY = {};

    private static SamplerSettings settings(float temperature, int topK, float topP, float minP) {
        return new SamplerSettings(temperature, topK, topP, minP, 1f, 0f, 0f, 0, 42);
    }

    private static SamplerSettings penalties(float repeat, float frequency, float presence, int window) {
        return new SamplerSettings(0f, 0, 1f, 0f, repeat, frequency, presence, window, 42);
    }

    /** How often each id is drawn in {@code draws} samples of the same logits. */
    private static int[] histogram(SamplerSettings settings, float[] logits, int draws) {
        ChainSampler sampler = new ChainSampler(settings);
        int[] counts = new int[logits.length];
        for (int i = 0; i < draws; i++) {
            counts[sampler.sample(logits.clone(), NO_HISTORY)]++;
        }
        return counts;
    }

    @Test
    void greedy_picksTheHighestLogitAndTheLowestIdOnTies() {
        ChainSampler sampler = new ChainSampler(SamplerSettings.GREEDY);
        assertEquals(2, sampler.sample(new float[] {0.5f, -1f, 3f, 2.9f}, NO_HISTORY));
        assertEquals(1, sampler.sample(new float[] {0f, 7f, 7f, 7f}, NO_HISTORY));
    }

    @Test
    void topK_drawsOnlyTheKMostLikely() {
        float[] logits = {1f, 3f, 2f, 2.5f, 0f};
        int[] counts = histogram(settings(1f, 2, 1f, 0f), logits, 2000);
        assertEquals(0, counts[0] + counts[2] + counts[4]);
        assertTrue(counts[1] > counts[3] && counts[3] > 0, Arrays.toString(counts));
    }

    @Test
    void topK_ofOne_isGreedy() {
        float[] logits = {1f, 3f, 2f};
        assertEquals(2000, histogram(settings(1.5f, 1, 1f, 0f), logits, 2000)[1]);
    }

    @Test
    void topP_keepsTheSmallestSetThatReachesP() {
        // probabilities 0.6, 0.3, 0.1: p = 0.85 keeps the first two, p = 0.5 only the first
        float[] logits = {(float) Math.log(0.6), (float) Math.log(0.3), (float) Math.log(0.1)};
        int[] counts = histogram(settings(1f, 0, 0.85f, 0f), logits, 3000);
        assertEquals(0, counts[2]);
        assertTrue(counts[1] > 700 && counts[1] < 1300, Arrays.toString(counts));   // expected 1000
        assertEquals(3000, histogram(settings(1f, 0, 0.5f, 0f), logits, 3000)[0]);
    }

    @Test
    void minP_dropsTokensLessLikelyThanPTimesTheBest() {
        // probabilities 0.5, 0.3, 0.15, 0.05: min-p 0.2 keeps tokens of at least 0.1
        float[] logits = {(float) Math.log(0.5), (float) Math.log(0.3), (float) Math.log(0.15), (float) Math.log(0.05)};
        int[] counts = histogram(settings(1f, 0, 1f, 0.2f), logits, 3000);
        assertEquals(0, counts[3]);
        assertTrue(counts[2] > 0, Arrays.toString(counts));
    }

    @Test
    void temperature_followsTheSoftmaxOfLogitsOverT() {
        float[] logits = {0f, (float) Math.log(3)};   // 1 : 3 at T = 1, 1 : 9 at T = 0.5
        int[] counts = histogram(settings(0.5f, 0, 1f, 0f), logits, 10000);
        assertEquals(0.9, counts[1] / 10000.0, 0.015);
        counts = histogram(settings(1f, 0, 1f, 0f), logits, 10000);
        assertEquals(0.75, counts[1] / 10000.0, 0.015);
    }

    @Test
    void seed_makesDrawsRepeatable() {
        float[] logits = new float[50];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) Math.sin(i);
        }
        SamplerSettings s = settings(1f, 0, 1f, 0f).withSeed(7);
        int[] first = draws(s, logits);
        assertArrayEquals(first, draws(s, logits));
        assertFalse(Arrays.equals(first, draws(s.withSeed(8), logits)));
    }

    private static int[] draws(SamplerSettings s, float[] logits) {
        ChainSampler sampler = new ChainSampler(s);
        int[] out = new int[40];
        for (int i = 0; i < out.length; i++) {
            out[i] = sampler.sample(logits.clone(), NO_HISTORY);
        }
        return out;
    }

    @Test
    void repeatPenalty_dividesPositiveAndMultipliesNegativeLogits() {
        float[] logits = {2f, -1f, 0.5f};
        new ChainSampler(penalties(2f, 0f, 0f, 8)).applyPenalties(logits, new int[] {0, 1, 0});
        assertArrayEquals(new float[] {1f, -2f, 0.5f}, logits);
    }

    @Test
    void frequencyAndPresencePenalties_subtractPerOccurrenceAndOnce() {
        float[] logits = {2f, 2f, 2f};
        new ChainSampler(penalties(1f, 0.5f, 0.25f, -1)).applyPenalties(logits, new int[] {0, 0, 0, 1});
        assertArrayEquals(new float[] {2f - 1.5f - 0.25f, 2f - 0.5f - 0.25f, 2f}, logits);
    }

    @Test
    void penalties_lookOnlyAtTheWindow() {
        float[] logits = {2f, 2f};
        new ChainSampler(penalties(2f, 0f, 0f, 2)).applyPenalties(logits, new int[] {0, 1, 1});
        assertArrayEquals(new float[] {2f, 1f}, logits);
        float[] untouched = {2f, 2f};
        new ChainSampler(penalties(2f, 0f, 0f, 0)).applyPenalties(untouched, new int[] {0, 1});
        assertArrayEquals(new float[] {2f, 2f}, untouched);
    }

    @Test
    void greedy_appliesPenaltiesFirst() {
        ChainSampler sampler = new ChainSampler(penalties(1.5f, 0f, 0f, 4));
        // 2.0 / 1.5 = 1.33 falls below 1.5
        assertEquals(1, sampler.sample(new float[] {2f, 1.5f}, new int[] {0}));
    }

    @Test
    void candidates_ofTopK_matchAFullSort() {
        float[] logits = new float[1000];
        java.util.SplittableRandom r = new java.util.SplittableRandom(3);
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) Math.floor(r.nextDouble() * 50);   // many ties
        }
        Candidates all = Candidates.best(logits, 0);
        Candidates top = Candidates.best(logits, 37);
        assertEquals(37, top.size());
        for (int i = 0; i < top.size(); i++) {
            assertEquals(all.id(i), top.id(i));
        }
        for (int i = 1; i < all.size(); i++) {
            assertTrue(all.logit(i - 1) > all.logit(i) || (all.logit(i - 1) == all.logit(i) && all.id(i - 1) < all.id(i)));
        }
    }
}
