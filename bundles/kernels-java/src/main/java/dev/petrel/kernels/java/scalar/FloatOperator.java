package dev.petrel.kernels.java.scalar;

/** A binary float function without boxing. */
@FunctionalInterface
public interface FloatOperator {
    float apply(float a, float b);
}
