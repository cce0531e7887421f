package dev.petrel.kernels.java.tck;

/**
 * What one case found.
 *
 * @param name the case
 * @param status passed, skipped (the backend does not support the op or type) or failed
 * @param detail the measured error against the tolerance, or why it was skipped or failed
 */
public record TckResult(String name, Status status, String detail) {

    public enum Status { PASSED, SKIPPED, FAILED }

    public boolean passed() {
        return status == Status.PASSED;
    }

    public boolean skipped() {
        return status == Status.SKIPPED;
    }

    /** Throws an {@link AssertionError} (what test frameworks report as a failure) unless passed or skipped. */
    public void assertPassed() {
        if (status == Status.FAILED) {
            throw new AssertionError(name + ": " + detail);
        }
    }

    @Override
    public String toString() {
        return status + " " + name + ": " + detail;
    }
}
