package dev.petrel.kernels.java;

import dev.petrel.api.kernel.Op;
import dev.petrel.api.kernel.Tensor;
import dev.petrel.api.weights.TensorType;
import java.util.Arrays;

/**
 * The checks every op makes when it is enqueued, with messages that name the op, the operand
 * and the dimension that is wrong.
 */
final class OpChecks {

    private OpChecks() {
    }

    /** The operand as a tensor of {@code backend}. */
    static HostTensor operand(Op op, String operand, Tensor tensor, HostBackend backend) {
        if (tensor == null) {
            throw new IllegalArgumentException((op == null ? "" : op + ": ") + "operand " + operand + " is null");
        }
        if (!(tensor instanceof HostTensor host) || host.hostBackend() != backend) {
            throw new IllegalArgumentException((op == null ? "" : op + ": ") + "operand " + operand + " ("
                    + tensor.name() + ") belongs to backend "
                    + tensor.backend().name() + ", not to this " + backend.name() + " backend");
        }
        return host;
    }

    static HostTensor optional(Op op, String operand, Tensor tensor, HostBackend backend) {
        return tensor == null ? null : operand(op, operand, tensor, backend);
    }

    static void type(Op op, String operand, Tensor tensor, TensorType... allowed) {
        for (TensorType type : allowed) {
            if (tensor.type() == type) {
                return;
            }
        }
        throw new IllegalArgumentException(op + ": operand " + operand + " (" + tensor.name() + ") is " + tensor.type()
                + ", expected " + (allowed.length == 1 ? allowed[0] : "one of " + Arrays.toString(allowed)));
    }

    static void dim(Op op, String operand, Tensor tensor, int i, long expected, String why) {
        if (tensor.dim(i) != expected) {
            throw new IllegalArgumentException(op + ": operand " + operand + " (" + tensor.name() + ") dim " + i + " is "
                    + tensor.dim(i) + ", expected " + expected + " (" + why + ")");
        }
    }

    static void rows(Op op, String operand, Tensor tensor, long expected, String why) {
        if (tensor.rows() != expected) {
            throw new IllegalArgumentException(op + ": operand " + operand + " (" + tensor.name() + ") has "
                    + tensor.rows() + " rows, expected " + expected + " (" + why + ")");
        }
    }

    static void elements(Op op, String operand, Tensor tensor, long expected, String why) {
        if (tensor.elementCount() != expected) {
            throw new IllegalArgumentException(op + ": operand " + operand + " (" + tensor.name() + ") has "
                    + tensor.elementCount() + " elements, expected " + expected + " (" + why + ")");
        }
    }

    /** Dims 0 to 3 equal {@code expected}'s (missing dims count as 1). */
    static void sameDims(Op op, String operand, Tensor tensor, String expectedName, Tensor expected) {
        for (int i = 0; i < Dims.MAX_RANK; i++) {
            if (tensor.dim(i) != expected.dim(i)) {
                throw new IllegalArgumentException(op + ": operand " + operand + " (" + tensor.name() + ") has dims "
                        + Arrays.toString(tensor.dims()) + ", expected the dims of " + expectedName + " "
                        + Arrays.toString(expected.dims()) + " (dim " + i + " differs)");
            }
        }
    }

    /** Each dim of {@code b} equals {@code a}'s or is 1. */
    static void broadcastable(Op op, Tensor a, Tensor b) {
        for (int i = 0; i < Dims.MAX_RANK; i++) {
            if (b.dim(i) != a.dim(i) && b.dim(i) != 1) {
                throw new IllegalArgumentException(op + ": operand b (" + b.name() + ") dim " + i + " is " + b.dim(i)
                        + ", expected " + a.dim(i) + " (a's) or 1 (broadcast)");
            }
        }
    }

    /** @param op the op, or null for stream methods that are not ops (write, read, scratch) */
    static void require(Op op, boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(op == null ? message : op + ": " + message);
        }
    }

    static int toInt(Op op, String what, long value) {
        if (value > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(op + ": " + what + " " + value + " is larger than this backend supports");
        }
        return (int) value;
    }
}
