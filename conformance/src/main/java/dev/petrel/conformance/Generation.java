package dev.petrel.conformance;

import java.util.List;

/**
 * A greedy continuation: the generated ids and, for each, the distribution it was chosen from.
 *
 * @param ids the generated ids, in order (the prompt not included)
 * @param steps {@code steps.get(i)} is the distribution {@code ids[i]} was chosen from
 */
public record Generation(int[] ids, List<Distribution> steps) {

    public Generation {
        ids = ids.clone();
        steps = List.copyOf(steps);
        if (ids.length != steps.size()) {
            throw new IllegalArgumentException(ids.length + " ids but " + steps.size() + " steps");
        }
    }

    @Override
    public int[] ids() {
        return ids.clone();
    }

    /** Number of generated ids. */
    public int length() {
        return ids.length;
    }
}
