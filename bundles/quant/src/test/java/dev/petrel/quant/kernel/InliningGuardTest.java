package dev.petrel.quant.kernel;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.Attributes;
import java.lang.classfile.MethodModel;
import java.lang.classfile.attribute.CodeAttribute;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The interleaved kernels that must be compilations of their own stay larger than C2 inlines
 * (a hot call site takes callees of at most {@code FreqInlineSize}, 325 bytes of bytecode).
 * Inlined into {@code InterleavedMatmul.run}, a kernel shares that method's node budget with
 * the others, and past it its inner steps stay calls that box their vectors: decoding then
 * ran at a quarter of its speed in some processes (see {@code Q4_0Interleaved.token1Groups4}).
 */
class InliningGuardTest {

    private static final int FREQ_INLINE_SIZE = 325;

    @ParameterizedTest
    @CsvSource({"Q4_0Interleaved, token1Groups4", "Q4_0Interleaved, tokens6Groups2",
            "Q4_0Interleaved, tokens6Group", "Q8_0Interleaved, token1Groups4", "Q8_0Interleaved, tokens6Groups2",
            "Q8_0Interleaved, tokens6Group"})
    void kernel_isTooLargeToInline(String className, String method) throws IOException {
        ClassModel model;
        try (InputStream in = InliningGuardTest.class.getResourceAsStream(className + ".class")) {
            assertNotNull(in, className + ".class");
            model = ClassFile.of().parse(in.readAllBytes());
        }
        MethodModel found = model.methods().stream().filter(m -> m.methodName().equalsString(method)).findFirst()
                .orElseThrow(() -> new AssertionError(className + "." + method + " not found"));
        int length = found.findAttribute(Attributes.code()).map(CodeAttribute::codeLength)
                .orElseThrow();
        assertTrue(length > FREQ_INLINE_SIZE, className + "." + method + " has " + length
                + " bytes of bytecode: at most " + FREQ_INLINE_SIZE + " the JIT may inline it into its caller");
    }
}
