package dev.petrel.conformance;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A candidate made from another source's full logits changed by a function, to show that a
 * check fails when it should. Greedy decoding follows the changed logits (one teacher-forced
 * evaluation per step).
 */
final class PerturbedSource implements LogitsSource {

    /** Changes the logits of one position, in place. */
    interface Change {
        void apply(int position, float[] logits);
    }

    private final LogitsSource base;
    private final Change change;
    private final String what;

    PerturbedSource(LogitsSource base, Change change, String what) {
        this.base = base;
        this.change = change;
        this.what = what;
    }

    private Distribution changed(int position, Distribution d) {
        float[] logits = d.all();
        if (logits == null) {
            throw new IllegalStateException("PerturbedSource needs a base that gives all logits");
        }
        change.apply(position, logits);
        return Distribution.ofLogits(logits, 40);
    }

    @Override
    public Generation greedy(int[] prompt, int steps) {
        int[] ids = Arrays.copyOf(prompt, prompt.length + steps);
        List<Distribution> dists = new ArrayList<>();
        for (int i = 0; i < steps; i++) {
            int length = prompt.length + i;
            List<Distribution> tf = base.teacherForced(Arrays.copyOf(ids, length));
            Distribution d = changed(length - 1, tf.get(length - 1));
            dists.add(d);
            ids[length] = d.token();
        }
        return new Generation(Arrays.copyOfRange(ids, prompt.length, ids.length), dists);
    }

    @Override
    public List<Distribution> teacherForced(int[] ids) {
        List<Distribution> tf = base.teacherForced(ids);
        List<Distribution> out = new ArrayList<>();
        for (int p = 0; p < tf.size(); p++) {
            out.add(changed(p, tf.get(p)));
        }
        return out;
    }

    @Override
    public String describe() {
        return base.describe() + ", " + what;
    }
}
