package dev.petrel.quant.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Species, layouts and lane tricks shared by the kernels.
 *
 * <p>Every species is a static final constant: the Vector API compiles to SIMD instructions
 * only when the JIT sees constant species. The widest float shape the CPU prefers sets the
 * others, so that one float lane matches one int lane and two short or byte lanes.
 */
final class Simd {

    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);

    /** Floats per vector: the preferred shape, at least 128 bits (below that the API has no half shape). */
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 128
            ? FloatVector.SPECIES_PREFERRED
            : FloatVector.SPECIES_128;
    static final VectorShape HALF = VectorShape.forBitSize(F.vectorBitSize() / 2);
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    /** Shorts in a full vector: two per int lane, so a product of shorts sums pairwise into I. */
    static final VectorSpecies<Short> S = VectorSpecies.of(short.class, F.vectorShape());
    /**
     * Rows per group of the row-interleaved layouts ({@link Q8_0Interleaved}, {@link Q4_0Interleaved}):
     * the int lanes of the preferred vector, or 0 when it is narrower than 256 bits (no byte
     * species that small, so no repacking). Here rather than in either class, so that the
     * classes that depend on it do not depend on each other's initialisation.
     */
    static final int INTERLEAVED_GROUP = I.vectorBitSize() >= 256 ? I.length() : 0;
    /** Bytes that widen into S. */
    static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, HALF);
    /** Halves (F16, BF16) that widen into F: as many lanes as F. */
    static final VectorSpecies<Short> H = VectorSpecies.of(short.class, HALF);

    /**
     * Q4_0 keeps 16 nibble bytes per block, which widen into 16 shorts: at most 256-bit vectors
     * (joining the low and high nibbles into one 512-bit vector would cost a cross-lane shuffle).
     */
    static final VectorSpecies<Float> F4 = F.vectorBitSize() >= 256 ? FloatVector.SPECIES_256 : F;
    static final VectorShape HALF4 = VectorShape.forBitSize(F4.vectorBitSize() / 2);
    static final VectorSpecies<Integer> I4 = VectorSpecies.of(int.class, F4.vectorShape());
    static final VectorSpecies<Short> S4 = VectorSpecies.of(short.class, F4.vectorShape());
    static final VectorSpecies<Byte> B4 = VectorSpecies.of(byte.class, HALF4);

    private Simd() {
    }

    /** The F16 at {@code offset}, as a float (exact). */
    static float f16(MemorySegment s, long offset) {
        return Float.float16ToFloat(s.get(SHORT_LE, offset));
    }

    /** Sign-extends B.length() int8 values into shorts. */
    static ShortVector widen(MemorySegment s, long offset) {
        return (ShortVector) ByteVector.fromMemorySegment(B, s, offset, LE).convertShape(VectorOperators.B2S, S, 0);
    }

    /** Sign-extends B4.length() int8 values into shorts. */
    static ShortVector widen4(MemorySegment s, long offset) {
        return (ShortVector) ByteVector.fromMemorySegment(B4, s, offset, LE).convertShape(VectorOperators.B2S, S4, 0);
    }

    /**
     * Sums adjacent short lanes into int lanes, exactly (what x86's pmaddwd does with ones):
     * each int lane holds two shorts, the low one sign-extended by a shift pair and the high one
     * by an arithmetic shift. Exact for any shorts, so any int8 operands (-128 included).
     */
    static IntVector pairSums(ShortVector products) {
        IntVector v = products.reinterpretAsInts();
        return v.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                .add(v.lanewise(VectorOperators.ASHR, 16));
    }

    /**
     * F16 bits (in H) to floats, exactly as {@link F16Kernel#toFloat}: the sign-extended half
     * shifted left by 13 and masked holds the sign, exponent and mantissa in a float's places;
     * scaling by 2^112 rebiases the exponent and turns subnormal halves into the right normal
     * floats. Infinities and NaNs (exponent 31) need their float exponent back: rare, so they
     * take a second pass only when a vector holds one.
     */
    static FloatVector halfToFloat(ShortVector h) {
        IntVector bits = (IntVector) h.convertShape(VectorOperators.S2I, I, 0); // sign-extended
        FloatVector f = bits.lanewise(VectorOperators.LSHL, 13).and(0x8FFF_E000).reinterpretAsFloats().mul(0x1p112f);
        VectorMask<Integer> special = bits.and(0x7C00).compare(VectorOperators.EQ, 0x7C00);
        return special.anyTrue() ? specialHalves(bits, f, special) : f;
    }

    /** Infinities keep their sign; NaNs their sign and payload and become quiet, as vcvtph2ps does. */
    private static FloatVector specialHalves(IntVector bits, FloatVector f, VectorMask<Integer> special) {
        IntVector mantissa = bits.and(0x03FF);
        IntVector exact = bits.and(0x8000).lanewise(VectorOperators.LSHL, 16).or(0x7F80_0000)
                .or(mantissa.lanewise(VectorOperators.LSHL, 13));
        exact = exact.blend(exact.or(0x0040_0000), mantissa.compare(VectorOperators.NE, 0));
        return f.reinterpretAsInts().blend(exact, special).reinterpretAsFloats();
    }

    /** BF16 bits (in H) to floats: the upper half of an F32. */
    static FloatVector bf16ToFloat(ShortVector h) {
        IntVector bits = (IntVector) h.convertShape(VectorOperators.S2I, I, 0);
        return bits.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /**
     * The sum of the lanes in a fixed order (halves folded, then pairs). reduceLanes(ADD) leaves
     * the order open, and its compiled and interpreted forms differ in the last bit; a fixed
     * order keeps a kernel's result the same before and after the JIT, so two runs agree.
     */
    static float sum(FloatVector v) {
        FloatVector x = v;
        int bits = x.species().vectorBitSize();
        if (bits == 512) {
            x = ((FloatVector) x.reinterpretShape(FloatVector.SPECIES_256, 0))
                    .add((FloatVector) x.reinterpretShape(FloatVector.SPECIES_256, 1));
        }
        if (bits >= 256) {
            x = ((FloatVector) x.reinterpretShape(FloatVector.SPECIES_128, 0))
                    .add((FloatVector) x.reinterpretShape(FloatVector.SPECIES_128, 1));
        }
        if (bits >= 128) {
            return (x.lane(0) + x.lane(2)) + (x.lane(1) + x.lane(3));
        }
        return x.lane(0) + x.lane(1);
    }

    // ---- the same helpers for Q4_0's shapes -----------------------------------------------
    //
    // C2 keeps one type profile per bytecode of a method, whoever inlines it: a helper fed
    // 512-bit vectors by one kernel and 256-bit ones by another gets a mixed profile, and every
    // kernel that inlines it then loses its Vector API intrinsics (measured: Q4_0 ran 25 times
    // slower after Q8_0 had run in the same JVM). Kernels on F4 shapes use these copies.

    /** {@link #pairSums} for S4. */
    static IntVector pairSums4(ShortVector products) {
        IntVector v = products.reinterpretAsInts();
        return v.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                .add(v.lanewise(VectorOperators.ASHR, 16));
    }
}
