package dev.petrel.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The criteria on made-up logits (see {@link ConformanceCheckAgainstLlamaCppTest} for llama.cpp's). */
class ConformanceCheckTest {

    private static final int VOCAB = 301;

    /** Random full logits for {@code n} positions. */
    private static List<Distribution> random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<Distribution> out = new ArrayList<>();
        for (int p = 0; p < n; p++) {
            float[] logits = new float[VOCAB];
            for (int i = 0; i < VOCAB; i++) {
                logits[i] = (float) (r.nextDouble() * 6 - 3);
            }
            out.add(Distribution.ofLogits(logits, 40));
        }
        return out;
    }

    private static List<Distribution> map(List<Distribution> in, PerturbedSource.Change change) {
        List<Distribution> out = new ArrayList<>();
        for (int p = 0; p < in.size(); p++) {
            float[] logits = in.get(p).all();
            change.apply(p, logits);
            out.add(Distribution.ofLogits(logits, 40));
        }
        return out;
    }

    /** Keeps only the top 40 of each position, as llama.cpp answers by default. */
    private static List<Distribution> topOnly(List<Distribution> in) {
        return in.stream().map(d -> new Distribution(d.token(), d.topIds(), d.topLogits(), null)).toList();
    }

    static void swapTop2(float[] logits) {
        Distribution d = Distribution.ofLogits(logits, 2);
        logits[d.topId(0)] = d.topLogit(1);
        logits[d.topId(1)] = d.topLogit(0);
    }

    @Test
    void identicalLogits_passBothCriteria() {
        List<Distribution> ref = random(64, 1);
        assertTrue(ConformanceCheck.compareTeacherForced(topOnly(ref), ref, ConformanceCheck.F32, "same").passed());
        var r = ConformanceCheck.compareTeacherForced(topOnly(ref), ref, ConformanceCheck.QUANTIZED, "same");
        assertTrue(r.passed(), r.report());
        assertEquals(0.0, r.maxAbsDelta());
        assertEquals(1.0, r.top1Agreement());
        assertTrue(r.report().endsWith("PASSED"), r.report());
    }

    @Test
    void logitsOffBy2e3_failF32_passQuantized() {
        List<Distribution> ref = random(64, 2);
        List<Distribution> shifted = map(ref, (p, l) -> {
            for (int i = 0; i < l.length; i++) {
                l[i] += 2e-3f;
            }
        });
        var f32 = ConformanceCheck.compareTeacherForced(topOnly(ref), shifted, ConformanceCheck.F32, "shifted");
        assertFalse(f32.passed());
        assertTrue(f32.report().contains("max |Δlogit| over the top 10"), f32.report());
        assertTrue(ConformanceCheck.compareTeacherForced(topOnly(ref), shifted, ConformanceCheck.QUANTIZED, "shifted").passed());
    }

    @Test
    void logitsOffBy0_06_failQuantized() {
        List<Distribution> ref = random(64, 3);
        List<Distribution> noisy = map(ref, (p, l) -> l[Distribution.ofLogits(l, 1).topId(0)] += 0.06f);
        var r = ConformanceCheck.compareTeacherForced(topOnly(ref), noisy, ConformanceCheck.QUANTIZED, "noisy");
        assertFalse(r.passed(), r.report());
        assertEquals(0.06, r.maxAbsDelta(), 1e-6);
    }

    @Test
    void oneTop1DifferenceIn64Positions_failsTheQuantizedAgreement() {
        List<Distribution> ref = random(64, 4);
        List<Distribution> oneSwap = map(ref, (p, l) -> {
            if (p == 17) {
                swapTop2(l);
            }
        });
        // the swap moves logits by their gap; pretend the gap is within tolerance by judging agreement only
        var agreementOnly = new ConformanceCheck.Criteria("agreement", 10, 100, 0.99, false);
        var r = ConformanceCheck.compareTeacherForced(topOnly(ref), oneSwap, agreementOnly, "one swap");
        assertFalse(r.passed(), r.report());
        assertEquals(63, r.top1Agreements());
        assertTrue(r.report().contains("differs at positions [17]"), r.report());
        // 1 in 101 positions is within 99%
        List<Distribution> ref101 = random(101, 5);
        List<Distribution> swap101 = map(ref101, (p, l) -> {
            if (p == 3) {
                swapTop2(l);
            }
        });
        assertTrue(ConformanceCheck.compareTeacherForced(ref101, swap101, agreementOnly, "1 in 101").passed());
    }

    @Test
    void greedyDivergence_failsF32AndNamesTheStep() {
        List<Distribution> steps = random(8, 6);
        int[] ids = steps.stream().mapToInt(Distribution::token).toArray();
        int[] other = ids.clone();
        other[5] = (other[5] + 1) % VOCAB;
        var r = ConformanceCheck.compareGreedy(new Generation(ids, steps), new Generation(other, steps), ConformanceCheck.F32,
                "diverging");
        assertFalse(r.passed());
        assertEquals(5, r.firstDivergence());
        assertTrue(r.report().contains("greedy ids differ from step 5"), r.report());
        assertEquals(6, r.positions(), "logits compared up to the divergence, inclusive");
        var same = ConformanceCheck.compareGreedy(new Generation(ids, steps), new Generation(ids, steps), ConformanceCheck.F32,
                "same");
        assertTrue(same.passed(), same.report());
        assertEquals(-1, same.firstDivergence());
    }

    @Test
    void candidateWithoutTheReferencesTopLogits_failsWithAdvice() {
        List<Distribution> ref = random(4, 7);
        // the candidate lists only its 3 highest: it cannot be compared over the reference's top 10
        List<Distribution> short3 = ref.stream()
                .map(d -> new Distribution(d.token(), java.util.Arrays.copyOf(d.topIds(), 3),
                        java.util.Arrays.copyOf(d.topLogits(), 3), null))
                .toList();
        var r = ConformanceCheck.compareTeacherForced(ref, short3, ConformanceCheck.F32, "short");
        assertFalse(r.passed());
        assertTrue(r.report().contains("give all logits or a larger top-K"), r.report());
    }

    @Test
    void candidateTopIdUnlistedByTheReference_boundsTheDifference() {
        List<Distribution> ref = random(1, 8);
        float[] logits = ref.get(0).all();
        Distribution top = Distribution.ofLogits(logits, 40);
        int outsider = Distribution.ofLogits(logits, VOCAB).topId(100); // far below the reference's top 40
        float[] changed = logits.clone();
        changed[outsider] = top.topLogit(0) + 1; // the candidate makes it its top-1
        var r = ConformanceCheck.compareTeacherForced(topOnly(ref), List.of(Distribution.ofLogits(changed, 40)),
                ConformanceCheck.QUANTIZED, "outsider");
        assertFalse(r.passed());
        assertTrue(r.maxAbsDelta() >= changed[outsider] - top.topLogit(39), r.report());
        assertTrue(r.report().contains("reference lists it below its lowest"), r.report());
    }

    @Test
    void nonFiniteLogits_fail() {
        List<Distribution> ref = random(2, 9);
        List<Distribution> nan = map(ref, (p, l) -> l[Distribution.ofLogits(l, 1).topId(0)] = Float.NaN);
        assertFalse(ConformanceCheck.compareTeacherForced(topOnly(ref), nan, ConformanceCheck.QUANTIZED, "nan").passed());
    }

    @Test
    void distribution_ofLogitsSortsHighestFirstWithTiesByLowerId() {
        Distribution d = Distribution.ofLogits(new float[] {1, 3, 3, -2, 2}, 4);
        assertEquals(1, d.token());
        assertEquals(List.of(1, 2, 4, 0), java.util.Arrays.stream(d.topIds()).boxed().toList());
        assertEquals(-2f, d.logit(3));
        Distribution partial = new Distribution(1, new int[] {1, 2}, new float[] {3, 3}, null);
        assertTrue(Float.isNaN(partial.logit(4)));
        assertEquals(3f, partial.unlistedBound());
        assertThrows(IllegalArgumentException.class, () -> new Distribution(0, new int[] {1}, new float[0], null));
    }
}
