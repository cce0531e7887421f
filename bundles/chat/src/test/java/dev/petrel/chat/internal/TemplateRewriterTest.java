package dev.petrel.chat.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class TemplateRewriterTest {

    @Test
    void rewrite_sliceWithStepBecomesMethodCall() {
        assertEquals("{% for m in messages.petrelSlice(none, none, -1) %}",
                TemplateRewriter.rewrite("{% for m in messages[::-1] %}"));
    }

    @Test
    void rewrite_twoPartSliceAndNestedSlices() {
        assertEquals("{{ a.petrelSlice(1, b.petrelSlice(none, 1, none)[0], none) }}",
                TemplateRewriter.rewrite("{{ a[1:b[:1][0]] }}"));
    }

    @Test
    void rewrite_plainSubscriptsAndListsStay() {
        assertEquals("{{ m['role'] + x[-1] }}{{ [1, 2] }}", TemplateRewriter.rewrite("{{ m['role'] + x[-1] }}{{ [1, 2] }}"));
    }

    @Test
    void rewrite_keywordArgumentValuesAreParenthesised() {
        assertEquals("{% set ns = namespace(a=( messages|length - 1), b=( true)) %}",
                TemplateRewriter.rewrite("{% set ns = namespace(a= messages|length - 1, b= true) %}"));
        assertEquals("{{ x|tojson(indent=(2)) }}", TemplateRewriter.rewrite("{{ x|tojson(indent=2) }}"));
    }

    @Test
    void rewrite_comparisonsAreNotKeywordArguments() {
        assertEquals("{{ (a == b) and (c != d) and (e <= f) }}",
                TemplateRewriter.rewrite("{{ (a == b) and (c != d) and (e <= f) }}"));
    }

    @Test
    void rewrite_textCommentsRawAndStringsStay() {
        String template = "text [::-1] {# x[::-1] #}{% raw %}{{ y[::-1] }}{% endraw %}{{ 'z[::-1]' ~ f(k='=') }}";
        assertEquals("text [::-1] {# x[::-1] #}{% raw %}{{ y[::-1] }}{% endraw %}{{ 'z[::-1]' ~ f(k=('=')) }}",
                TemplateRewriter.rewrite(template));
    }

    @Test
    void rewrite_macroParametersStay() {
        assertEquals("{% macro f(a, b='d') %}{{ g(c=(1)) }}{% endmacro %}",
                TemplateRewriter.rewrite("{% macro f(a, b='d') %}{{ g(c=1) }}{% endmacro %}"));
    }

    @Test
    void withoutTrailingNewline_dropsOneNewLine() {
        assertEquals("a\n", JinjaChatTemplate.withoutTrailingNewline("a\n\n"));
        assertEquals("a", JinjaChatTemplate.withoutTrailingNewline("a\r\n"));
        assertEquals("a", JinjaChatTemplate.withoutTrailingNewline("a"));
    }

    @Test
    void pythonFloat_matchesPythonRepr() {
        assertEquals("1.0", PythonJson.pythonFloat(1.0));
        assertEquals("0.5", PythonJson.pythonFloat(0.5));
        assertEquals("1e-05", PythonJson.pythonFloat(1e-5));
        assertEquals("0.0001", PythonJson.pythonFloat(1e-4));
        assertEquals("1e+16", PythonJson.pythonFloat(1e16));
    }
}
