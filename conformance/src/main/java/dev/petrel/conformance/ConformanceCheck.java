package dev.petrel.conformance;

import dev.petrel.api.weights.TensorType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Compares a candidate's logits with the reference's by the conformance criteria of the
 * inference issues:
 * <ul>
 *   <li>{@link #F32}: greedy decoding gives identical ids for {@value #GREEDY_STEPS} steps,
 *       and at every step the logits of the top 10 tokens differ by at most 1e-3;</li>
 *   <li>{@link #QUANTIZED}: teacher-forced on the same {@value #TEACHER_FORCED_IDS} ids, the
 *       top-1 token agrees at 99% of the positions or more, and the logits of the top 10
 *       differ by at most 0.05.</li>
 * </ul>
 *
 * <p>"The top 10" is the union of both sides' 10 highest logits at a position. A side that
 * lists only its top K (llama.cpp by default lists 40) may not know the other side's value
 * for some id; then:
 * <ul>
 *   <li>an id of the reference's top 10 must be known to the candidate (an engine gives all
 *       its logits, see {@link Distribution#ofLogits}); otherwise the check fails and says
 *       so;</li>
 *   <li>an id of the candidate's top 10 that the reference does not list lies below the
 *       reference's lowest listed logit, which bounds the difference from below: the check
 *       fails when that bound exceeds the tolerance.</li>
 * </ul>
 *
 * <pre>{@code
 * Result r = ConformanceCheck.greedy(llamaModel, engineSource, prompt, ConformanceCheck.F32);
 * r.assertPassed(); // AssertionError with the report when it fails
 * }</pre>
 */
public final class ConformanceCheck {

    /** Greedy steps compared by {@link #F32}. */
    public static final int GREEDY_STEPS = 32;
    /** Length of the teacher-forced sequence of {@link #QUANTIZED}. */
    public static final int TEACHER_FORCED_IDS = 64;

    /**
     * What must hold.
     *
     * @param name shown in reports
     * @param topN how many of each side's highest logits are compared
     * @param maxAbsDelta the largest |Δlogit| allowed over those
     * @param minTop1Agreement the smallest fraction of positions whose top-1 ids must agree
     * @param identicalGreedy whether greedy ids must be identical at every step
     */
    public record Criteria(String name, int topN, double maxAbsDelta, double minTop1Agreement, boolean identicalGreedy) {

        public Criteria {
            Objects.requireNonNull(name, "name");
            if (topN < 1 || !(maxAbsDelta >= 0) || !(minTop1Agreement >= 0 && minTop1Agreement <= 1)) {
                throw new IllegalArgumentException("invalid criteria: topN " + topN + ", maxAbsDelta " + maxAbsDelta
                        + ", minTop1Agreement " + minTop1Agreement);
            }
        }
    }

    /** F32 weights: identical greedy ids, |Δlogit| ≤ 1e-3 over the top 10. */
    public static final Criteria F32 = new Criteria("F32", 10, 1e-3, 1.0, true);

    /** Quantized weights: top-1 agreement ≥ 99%, |Δlogit| ≤ 0.05 over the top 10. */
    public static final Criteria QUANTIZED = new Criteria("quantized", 10, 0.05, 0.99, false);

    /**
     * The outcome of one comparison.
     *
     * @param passed whether every criterion held
     * @param criteria the criteria applied
     * @param positions positions whose logits were compared
     * @param top1Agreements positions whose top-1 ids agree
     * @param maxAbsDelta the largest |Δlogit| seen (a lower bound where a side did not list an id)
     * @param firstDivergence the first greedy step whose ids differ, or -1
     * @param report a readable account: sources, numbers, the worst position, failures
     */
    public record Result(boolean passed, Criteria criteria, int positions, int top1Agreements, double maxAbsDelta,
            int firstDivergence, String report) {

        /** Fraction of positions whose top-1 ids agree. */
        public double top1Agreement() {
            return positions == 0 ? 0 : top1Agreements / (double) positions;
        }

        /** Throws an {@link AssertionError} carrying the report unless the check passed. */
        public Result assertPassed() {
            if (!passed) {
                throw new AssertionError(report);
            }
            return this;
        }

        @Override
        public String toString() {
            return report;
        }
    }

    private ConformanceCheck() {
    }

    /** {@link #F32} for F32 weights, {@link #QUANTIZED} for every other weight type (F16 and BF16 included). */
    public static Criteria criteriaFor(TensorType weightType) {
        return weightType == TensorType.F32 ? F32 : QUANTIZED;
    }

    /**
     * The check the conformance issues ask for a model whose matrices are {@code weightType}:
     * F32 — greedy decoding of {@value #GREEDY_STEPS} steps from {@code prompt} by both
     * sources, with the {@link #F32} criteria; other types — teacher forcing on
     * {@value #TEACHER_FORCED_IDS} ids ({@code prompt} and the reference's greedy continuation)
     * with the {@link #QUANTIZED} criteria.
     */
    public static Result check(LogitsSource reference, LogitsSource candidate, int[] prompt, TensorType weightType) {
        if (weightType == TensorType.F32) {
            return greedy(reference, candidate, prompt, F32);
        }
        int[] ids = teacherForcingIds(reference, prompt, TEACHER_FORCED_IDS);
        return teacherForced(reference, candidate, ids, QUANTIZED);
    }

    /**
     * Greedy decoding of {@value #GREEDY_STEPS} steps from {@code prompt} by both sources,
     * compared by {@code criteria}.
     */
    public static Result greedy(LogitsSource reference, LogitsSource candidate, int[] prompt, Criteria criteria) {
        return greedy(reference, candidate, prompt, GREEDY_STEPS, criteria);
    }

    /** Greedy decoding of {@code steps} steps from {@code prompt} by both sources, compared. */
    public static Result greedy(LogitsSource reference, LogitsSource candidate, int[] prompt, int steps, Criteria criteria) {
        Generation r = reference.greedy(prompt, steps);
        Generation c = candidate.greedy(prompt, steps);
        return compareGreedy(r, c, criteria, header(reference, candidate, "greedy, " + steps + " steps from a prompt of "
                + prompt.length + " ids"));
    }

    /** Teacher forcing on {@code ids} by both sources, compared position by position. */
    public static Result teacherForced(LogitsSource reference, LogitsSource candidate, int[] ids, Criteria criteria) {
        List<Distribution> r = reference.teacherForced(ids);
        List<Distribution> c = candidate.teacherForced(ids);
        return compareTeacherForced(r, c, criteria, header(reference, candidate, "teacher-forced on " + ids.length + " ids"));
    }

    /** Compares two greedy generations (same prompt, same step count). */
    public static Result compareGreedy(Generation reference, Generation candidate, Criteria criteria, String title) {
        List<String> failures = new ArrayList<>();
        int[] r = reference.ids();
        int[] c = candidate.ids();
        int divergence = -1;
        for (int i = 0; i < Math.min(r.length, c.length); i++) {
            if (r[i] != c[i]) {
                divergence = i;
                break;
            }
        }
        if (divergence < 0 && r.length != c.length) {
            divergence = Math.min(r.length, c.length);
        }
        if (divergence >= 0 && criteria.identicalGreedy()) {
            failures.add("greedy ids differ from step " + divergence + ":\n  reference " + Arrays.toString(r)
                    + "\n  candidate " + Arrays.toString(c));
        }
        // after the first divergence the two contexts differ: compare logits up to it, inclusive
        int compared = divergence < 0 ? r.length : Math.min(divergence + 1, Math.min(r.length, c.length));
        Stats stats = compare(reference.steps().subList(0, compared), candidate.steps().subList(0, compared), criteria);
        StringBuilder report = new StringBuilder(title == null ? "" : title + "\n");
        report.append("greedy ids: ").append(divergence < 0 ? "identical, " + r.length + " steps"
                : "first difference at step " + divergence).append('\n');
        return finish(criteria, stats, divergence, failures, report);
    }

    /** Compares two teacher-forced runs over the same ids, position by position. */
    public static Result compareTeacherForced(List<Distribution> reference, List<Distribution> candidate, Criteria criteria,
            String title) {
        List<String> failures = new ArrayList<>();
        if (reference.size() != candidate.size()) {
            failures.add("the reference gave " + reference.size() + " positions, the candidate " + candidate.size());
        }
        int n = Math.min(reference.size(), candidate.size());
        Stats stats = compare(reference.subList(0, n), candidate.subList(0, n), criteria);
        StringBuilder report = new StringBuilder(title == null ? "" : title + "\n");
        return finish(criteria, stats, -1, failures, report);
    }

    /**
     * The ids of a teacher-forced check: {@code prompt} followed by the reference's greedy
     * continuation, {@code length} ids in all, so the sequence is one the model finds likely.
     */
    public static int[] teacherForcingIds(LogitsSource reference, int[] prompt, int length) {
        if (prompt.length == 0 || prompt.length > length) {
            throw new IllegalArgumentException("need 1 to " + length + " prompt ids, found " + prompt.length);
        }
        int[] ids = Arrays.copyOf(prompt, length);
        int[] continuation = reference.greedy(prompt, length - prompt.length).ids();
        System.arraycopy(continuation, 0, ids, prompt.length, continuation.length);
        return ids;
    }

    /** {@code length} ids drawn uniformly from {@code [from, to)} with {@code seed}. */
    public static int[] randomIds(int from, int to, int length, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int[] ids = new int[length];
        for (int i = 0; i < length; i++) {
            ids[i] = random.nextInt(from, to);
        }
        return ids;
    }

    private static String header(LogitsSource reference, LogitsSource candidate, String what) {
        return what + "\n  reference: " + reference.describe() + "\n  candidate: " + candidate.describe();
    }

    /** Running numbers over compared positions. */
    private static final class Stats {
        int positions;
        int top1Agreements;
        double maxDelta;
        String worst = "";
        final List<String> failures = new ArrayList<>();
        final List<Integer> top1Misses = new ArrayList<>();
    }

    private static Stats compare(List<Distribution> reference, List<Distribution> candidate, Criteria criteria) {
        Stats s = new Stats();
        for (int p = 0; p < reference.size(); p++) {
            Distribution r = reference.get(p);
            Distribution c = candidate.get(p);
            s.positions++;
            if (r.token() == c.token()) {
                s.top1Agreements++;
            } else {
                s.top1Misses.add(p);
            }
            for (int i = 0; i < Math.min(criteria.topN(), r.topCount()); i++) {
                int id = r.topId(i);
                float rv = r.topLogit(i);
                float cv = c.logit(id);
                if (Float.isNaN(cv)) {
                    float bound = c.unlistedBound();
                    if (Float.isNaN(bound) || rv - bound <= criteria.maxAbsDelta()) {
                        s.failures.add("position " + p + ": the candidate did not give the logit of id " + id
                                + " (reference rank " + i + "); give all logits or a larger top-K");
                        continue;
                    }
                    note(s, p, id, rv, Float.NaN, rv - bound, "(candidate lists it below its lowest)");
                    continue;
                }
                note(s, p, id, rv, cv, Math.abs(rv - cv), "");
            }
            for (int i = 0; i < Math.min(criteria.topN(), c.topCount()); i++) {
                int id = c.topId(i);
                float cv = c.topLogit(i);
                float rv = r.logit(id);
                if (Float.isNaN(rv)) {
                    // the reference's value is at most its lowest listed logit
                    double lower = cv - r.unlistedBound();
                    note(s, p, id, Float.NaN, cv, Math.max(0, lower), "(reference lists it below its lowest)");
                    continue;
                }
                note(s, p, id, rv, cv, Math.abs(rv - cv), "");
            }
            if (!finite(r) || !finite(c)) {
                s.failures.add("position " + p + ": a logit is not finite (reference " + r + ", candidate " + c + ")");
            }
        }
        return s;
    }

    private static boolean finite(Distribution d) {
        for (int i = 0; i < d.topCount(); i++) {
            if (!Float.isFinite(d.topLogit(i))) {
                return false;
            }
        }
        return true;
    }

    private static void note(Stats s, int position, int id, float rv, float cv, double delta, String remark) {
        if (s.worst.isEmpty() || delta > s.maxDelta) {
            s.maxDelta = delta;
            s.worst = String.format(Locale.ROOT, "position %d, id %d: reference %s, candidate %s %s", position, id,
                    Float.isNaN(rv) ? "?" : Float.toString(rv), Float.isNaN(cv) ? "?" : Float.toString(cv), remark).strip();
        }
    }

    private static Result finish(Criteria criteria, Stats s, int divergence, List<String> failures, StringBuilder report) {
        failures = new ArrayList<>(failures);
        failures.addAll(s.failures.stream().limit(10).toList());
        if (s.failures.size() > 10) {
            failures.add("... and " + (s.failures.size() - 10) + " more");
        }
        if (s.positions == 0) {
            failures.add("no positions to compare");
        }
        if (s.maxDelta > criteria.maxAbsDelta()) {
            failures.add(String.format(Locale.ROOT, "max |Δlogit| over the top %d is %.3g > %.3g (%s)", criteria.topN(),
                    s.maxDelta, criteria.maxAbsDelta(), s.worst));
        }
        double agreement = s.positions == 0 ? 0 : s.top1Agreements / (double) s.positions;
        if (agreement < criteria.minTop1Agreement()) {
            failures.add(String.format(Locale.ROOT, "top-1 agreement %.2f%% < %.2f%% (differs at positions %s)",
                    100 * agreement, 100 * criteria.minTop1Agreement(), s.top1Misses));
        }
        boolean passed = failures.isEmpty();
        report.append(String.format(Locale.ROOT, "%s criteria: %d positions, top-1 agreement %d/%d (%.2f%%), max |Δlogit| "
                        + "over the top %d %.3g (limit %.3g)%s%n", criteria.name(), s.positions, s.top1Agreements, s.positions,
                100 * agreement, criteria.topN(), s.maxDelta, criteria.maxAbsDelta(),
                s.worst.isEmpty() ? "" : ", worst at " + s.worst));
        if (passed) {
            report.append("PASSED");
        } else {
            report.append("FAILED:");
            failures.forEach(f -> report.append("\n  - ").append(f));
        }
        return new Result(passed, criteria, s.positions, s.top1Agreements, s.maxDelta, divergence, report.toString());
    }
}
