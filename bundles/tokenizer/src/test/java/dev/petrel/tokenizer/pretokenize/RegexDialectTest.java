package dev.petrel.tokenizer.pretokenize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class RegexDialectTest {

    @Test
    void compile_matchesUnicodeWhitespaceWithBackslashS() {
        Pattern p = RegexDialect.compileOniguruma("\\s+");
        assertTrue(p.matcher("\u00A0\u3000\u2009").matches());
    }

    @Test
    void compile_foldsCaseInInlineGroups() {
        Pattern p = RegexDialect.compileOniguruma("(?i:'s|'ll)");
        assertTrue(p.matcher("'S").matches());
        assertTrue(p.matcher("'lL").matches());
    }

    @Test
    void translate_writesScriptsAsJavaScriptProperties() {
        assertEquals("\\p{IsHan}+\\p{L}\\P{IsLatin}", RegexDialect.translate("\\p{Han}+\\p{L}\\P{Latin}"));
        assertTrue(RegexDialect.compileOniguruma("\\p{Han}+").matcher("漢字").matches());
    }

    @Test
    void translate_readsBackslashHAsAHexDigit() {
        assertTrue(RegexDialect.compileOniguruma("\\h+").matcher("09afAF").matches());
        assertFalse(RegexDialect.compileOniguruma("\\h").matcher(" ").matches());
    }

    @Test
    void translate_endsLinesWithDollar() {
        Pattern p = RegexDialect.compileOniguruma("a$");
        assertTrue(p.matcher("a\nb").find());
        assertEquals("[$]", RegexDialect.translate("[$]"));
    }
}
