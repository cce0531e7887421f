package dev.petrel.tokenizer.core;

import java.util.Arrays;

/**
 * The ids that frame a sequence and end generation.
 *
 * @param bos beginning-of-sequence id or -1
 * @param eos end-of-sequence id or -1
 * @param addBos whether {@code encode(addSpecial=true)} starts with BOS
 * @param addEos whether {@code encode(addSpecial=true)} ends with EOS
 * @param endOfGeneration ids at which generation stops (EOS, end of turn, end of message)
 */
public record SpecialTokens(int bos, int eos, boolean addBos, boolean addEos, int[] endOfGeneration) {

    public SpecialTokens {
        if (addBos && bos < 0) {
            throw new IllegalArgumentException("addBos without a BOS id");
        }
        if (addEos && eos < 0) {
            throw new IllegalArgumentException("addEos without an EOS id");
        }
        endOfGeneration = Arrays.stream(endOfGeneration).filter(id -> id >= 0).distinct().sorted().toArray();
    }

    public boolean isEndOfGeneration(int id) {
        return Arrays.binarySearch(endOfGeneration, id) >= 0;
    }

    @Override
    public int[] endOfGeneration() {
        return endOfGeneration.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SpecialTokens s && bos == s.bos && eos == s.eos && addBos == s.addBos
                && addEos == s.addEos && Arrays.equals(endOfGeneration, s.endOfGeneration);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(endOfGeneration) * 31 + bos * 7 + eos;
    }

    @Override
    public String toString() {
        return "SpecialTokens[bos=" + bos + ", eos=" + eos + ", addBos=" + addBos + ", addEos=" + addEos
                + ", endOfGeneration=" + Arrays.toString(endOfGeneration) + "]";
    }
}
