package dev.petrel.chat.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The Jinja features Hugging Face chat templates rely on, each checked against what Python's
 * Jinja2 (trim_blocks, lstrip_blocks, loop controls) renders for the same snippet.
 */
class JinjaSemanticsTest {

    private static final JinjaChatTemplate ENGINE = new JinjaChatTemplate();

    private static String render(String template) {
        return render(template, Map.of());
    }

    private static String render(String template, Map<String, ?> variables) {
        return ENGINE.render(template, List.of(), false, variables);
    }

    @Test
    void stringMethods_startswithEndswith() {
        assertEquals("yes yes no", render("{{ 'yes' if 'abc'.startswith('a') }} "
                + "{{ 'yes' if 'abc'.endswith(('x', 'c')) }} {{ 'yes' if 'abc'.startswith('b') else 'no' }}"));
    }

    @Test
    void stringMethods_stripFamily() {
        assertEquals("[x][a][q][q]", render("[{{ '\\n x \\n'.strip() }}][{{ 'xxaxx'.strip('x') }}]"
                + "[{{ '\\n\\nq'.lstrip('\\n') }}][{{ 'q\\n\\n'.rstrip('\\n') }}]"));
    }

    @Test
    void stringMethods_splitIsLiteralAndKeepsEmptyParts() {
        assertEquals("3|a|c|2|b,c|a,b|2|", render("{{ 'a.b.c'.split('.')|length }}|{{ 'a b  c '.split()[0] }}"
                + "|{{ 'a b  c '.split()[-1] }}|{{ 'a,b,c'.split(',', 1)|length }}|{{ 'a,b,c'.split(',', 1)[1] }}"
                + "|{{ 'a,b,c'.rsplit(',', 1)[0] }}|{{ 'x,'.split(',')|length }}|{{ 'x,'.split(',')[1] }}"));
    }

    @Test
    void stringMethods_thinkSplitAndCase() {
        assertEquals("c|HELLO|hello|Hello World|bXb", render("{{ 'a</think>b</think>c'.split('</think>')[-1] }}"
                + "|{{ 'Hello'.upper() }}|{{ 'Hello'.lower() }}|{{ 'hello world'.title() }}|{{ 'aXa'.replace('a', 'b') }}"));
    }

    @Test
    void stringMethods_joinCountFindSplitlines() {
        assertEquals("2|x,y|2|2", render("{{ 'a\\nb'.splitlines()|length }}|{{ ','.join(['x','y']) }}"
                + "|{{ 'abcabc'.count('b') }}|{{ 'abc'.find('c') }}"));
    }

    @Test
    void indexingAndSlicing_followPython() {
        assertEquals("ca|bc|fedcba|ace|ef|abcd", render("{{ 'abc'[-1] }}{{ 'abc'[0] }}|{{ 'abcdef'[1:3] }}"
                + "|{{ 'abcdef'[::-1] }}|{{ 'abcdef'[::2] }}|{{ 'abcdef'[-2:] }}|{{ 'abcdef'[:-2] }}"));
        assertEquals("321|2,3|1,2|2", render("{% for m in items[::-1] %}{{ m }}{% endfor %}"
                + "|{{ items[1:]|join(',') }}|{{ items[:-1]|join(',') }}|{{ items[-2:][0] }}",
                Map.of("items", List.of(1, 2, 3))));
    }

    @Test
    void slices_insideStringLiteralsAreLeftAlone() {
        assertEquals("[::-1] a[1:2]", render("{{ '[::-1]' }} {{ \"a[1:2]\" }}"));
        assertEquals("x{# [::-1] #}y".replaceAll("\\{#.*#}", ""), render("x{# [::-1] #}y"));
    }

    @Test
    void namespaceAndLoopControls() {
        assertEquals("8 found", render("{% set ns = namespace(found=false, n=0) %}"
                + "{% for x in [1, 2, 3, 4, 5] %}{% if x == 2 %}{% continue %}{% endif %}"
                + "{% if x == 5 %}{% break %}{% endif %}{% set ns.n = ns.n + x %}"
                + "{% if x == 3 %}{% set ns.found = true %}{% endif %}{% endfor %}"
                + "{{ ns.n }} {{ 'found' if ns.found }}"));
    }

    @Test
    void tojson_writesPythonSpacing() {
        Map<String, Object> city = new LinkedHashMap<>();
        city.put("type", "string");
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put("city", city);
        Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put("type", "object");
        parameters.put("properties", properties);
        Map<String, Object> tool = new LinkedHashMap<>();
        tool.put("name", "get_weather");
        tool.put("parameters", parameters);
        assertEquals("[{\"name\": \"get_weather\", \"parameters\": {\"type\": \"object\", \"properties\": "
                + "{\"city\": {\"type\": \"string\"}}}}]|{\"a\": 1, \"b\": [true, null, \"x\\\"y\"]}",
                render("{{ tools | tojson }}|{{ {'a': 1, 'b': [true, none, 'x\"y']} | tojson }}",
                        Map.of("tools", List.of(tool))));
        assertEquals("{\n  \"b\": 1,\n  \"a\": 2\n}", render("{{ {'b': 1, 'a': 2} | tojson(indent=2) }}"));
        assertEquals("\"é\\n\"", render("{{ 'é\\n' | tojson }}"));
    }

    @Test
    void dictMethods() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("x", 1);
        d.put("y", 2);
        assertEquals("x=1;y=2;none|x,y", render("{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}"
                + "{{ d.get('z', 'none') }}|{{ d.keys()|join(',') }}", Map.of("d", d)));
    }

    @Test
    void tests_definedNoneStringFalse() {
        Map<String, Object> vars = new LinkedHashMap<>();
        vars.put("x", 1);
        vars.put("z", null);
        vars.put("s", "t");
        vars.put("f", false);
        assertEquals("DUNSF", render("{%- if x is defined %}D{% endif %}{% if y is not defined %}U{% endif %}"
                + "{% if z is none %}N{% endif %}{% if s is string %}S{% endif %}{% if f is false %}F{% endif %}",
                vars));
    }

    @Test
    void whitespace_trimBlocksLstripBlocksAndNoTrailingNewline() {
        assertEquals("a\n  b\n1\n2\nc", render("a\n{% if true %}\n  b\n{% endif %}\n  {% for i in [1,2] %}\n"
                + "{{ i }}\n  {% endfor %}\nc\n"));
    }

    @Test
    void operators_precedenceMembershipConcatenation() {
        assertEquals("2|yes|yes|7|ab3|a-b", render("{{ items|length - 1 }}"
                + "|{{ 'yes' if (items|length) > 2 and not false }}|{{ 'yes' if 'x' in 'xyz' }}"
                + "|{{ 1 + 2 * 3 }}|{{ 'ab' ~ 3 }}|{{ 'a' + '-' + 'b' }}", Map.of("items", List.of(1, 2, 3))));
    }

    @Test
    void macrosAndFilters() {
        assertEquals("[1d][2e]|a, b|x", render("{% macro f(a, b='d') %}[{{ a }}{{ b }}]{% endmacro %}"
                + "{{ f(1) }}{{ f(2, b='e') }}|{{ ['a','b'] | join(', ') }}|{{ '  x  ' | trim }}"));
    }

    @Test
    void keywordArguments_takeWholeFilterExpressions() {
        assertEquals("2 yes", render("{% set ns = namespace(last=items|length - 1, flag=true) %}"
                + "{{ ns.last }} {{ 'yes' if ns.flag }}", Map.of("items", List.of(1, 2, 3))));
    }

    @Test
    void notBindsLooserThanIsTests() {
        assertEquals("B", render("{% if not flag is defined %}A{% else %}B{% endif %}", Map.of("flag", true)));
    }
}
