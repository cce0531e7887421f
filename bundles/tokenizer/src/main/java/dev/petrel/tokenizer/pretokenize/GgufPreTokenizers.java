package dev.petrel.tokenizer.pretokenize;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The pre-tokenizers a GGUF file names in {@code tokenizer.ggml.pre}: for each, the splits of
 * the model's own tokenizer.json, in the order llama.cpp applies them. A Hugging Face
 * tokenizer whose regexes equal one of these lists takes its name.
 */
public final class GgufPreTokenizers {

    /** GPT-2's word pattern: contractions, letters, digits, other symbols, whitespace. */
    public static final String GPT2 =
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    private static final String LLAMA3 =
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*"
                    + "|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /** As Llama 3 but digits one by one. */
    private static final String QWEN2 =
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*"
                    + "|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /** CJK ideographs and kana, which DeepSeek V3 keeps apart from other letters. */
    private static final String DEEPSEEK3_CJK = "[\u4e00-\u9fa5\u3040-\u309f\u30a0-\u30ff]+";

    private static final String DEEPSEEK3_WORDS =
            "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+"
                    + "| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+";

    /** Hangul, CJK and the wide block before them, which DeepSeek LLM and Coder isolate. */
    private static final String DEEPSEEK_CJK = "[\\u4E00-\\u9FA5\\u0800-\\u4E00\\uAC00-\\uD7FF]+";

    /**
     * The letters DeepSeek LLM words are made of, as inclusive code point ranges: the cased
     * letters (Lu, Ll, Lt) of the Unicode version its tokenizer was built with, listed so that
     * newer Unicode data in the JDK does not move word boundaries.
     */
    private static final int[] DEEPSEEK_LLM_LETTERS = {
            0x0041, 0x005A, 0x0061, 0x007A, 0x00B5, 0x00B5, 0x00C0, 0x00D6, 0x00D8, 0x00F6, 0x00F8, 0x01BA,
            0x01BC, 0x01BF, 0x01C4, 0x0293, 0x0295, 0x02AF, 0x0370, 0x0373, 0x0376, 0x0376, 0x0377, 0x0377,
            0x037B, 0x037D, 0x037F, 0x037F, 0x0386, 0x0386, 0x0388, 0x038A, 0x038C, 0x038C, 0x038E, 0x03A1,
            0x03A3, 0x03F5, 0x03F7, 0x0481, 0x048A, 0x052F, 0x0531, 0x0556, 0x10A0, 0x10C5, 0x13A0, 0x13F5,
            0x13F8, 0x13FD, 0x1C90, 0x1CBA, 0x1CBD, 0x1CBF, 0x1D00, 0x1D2B, 0x1D6B, 0x1D77, 0x1D79, 0x1D9A,
            0x1E00, 0x1F15, 0x1F18, 0x1F1D, 0x1F20, 0x1F45, 0x1F48, 0x1F4D, 0x1F50, 0x1F57, 0x1F59, 0x1F59,
            0x1F5B, 0x1F5B, 0x1F5D, 0x1F5D, 0x1F5F, 0x1F7D, 0x1F80, 0x1FB4, 0x1FB6, 0x1FBC, 0x1FBE, 0x1FBE,
            0x1FC2, 0x1FC4, 0x1FC6, 0x1FCC, 0x1FD0, 0x1FD3, 0x1FD6, 0x1FDB, 0x1FE0, 0x1FEC, 0x1FF2, 0x1FF4,
            0x1FF6, 0x1FFC, 0x2102, 0x2102, 0x2107, 0x2107, 0x210A, 0x2113, 0x2115, 0x2115, 0x2119, 0x211D,
            0x2124, 0x2124, 0x2126, 0x2126, 0x2128, 0x2128, 0x212A, 0x212D, 0x212F, 0x2134, 0x2139, 0x2139,
            0x213C, 0x213F, 0x2145, 0x2149, 0x214E, 0x214E, 0x2183, 0x2183, 0x2184, 0x2184, 0x2C00, 0x2C7B,
            0x2C7E, 0x2CE4, 0x2CEB, 0x2CEE, 0x2CF2, 0x2CF2, 0x2CF3, 0x2CF3, 0xA640, 0xA66D, 0xA680, 0xA69B,
            0xA722, 0xA76F, 0xA771, 0xA787, 0xA78B, 0xA78E, 0xAB70, 0xABBF, 0xFB00, 0xFB06, 0xFB13, 0xFB17,
            0xFF21, 0xFF3A, 0xFF41, 0xFF5A, 0x10400, 0x1044F, 0x104B0, 0x104D3, 0x104D8, 0x104FB,
            0x10C80, 0x10CB2, 0x10CC0, 0x10CF2, 0x118A0, 0x118DF, 0x1E900, 0x1E943
    };

    /** ASCII and full-width punctuation, curly quotes and the ideographic space and stops. */
    private static final String DEEPSEEK_LLM_PUNCTUATION =
            "\\s?[!-/:-~\\uFF01-\\uFF0F\\uFF1A-\\uFF5E\\u2018-\\u201F\\u3000-\\u3002]+";

    /** Pre-tokenizers that are plain regex lists, by name. */
    private static final Map<String, List<String>> REGEXES = new LinkedHashMap<>();
    private static final Map<String, String> ALIASES = Map.of(
            "llama-bpe", "llama3",
            "llama-v3", "llama3",
            "deepseek-r1-qwen", "qwen2");

    static {
        REGEXES.put("default", List.of(
                "[\\p{P}\\$\\+<=>\\^~\\|]+",
                GPT2,
                "\\p{N}+",
                "[0-9][0-9][0-9]"));
        REGEXES.put("gpt-2", List.of(GPT2));
        REGEXES.put("llama3", List.of(LLAMA3));
        REGEXES.put("qwen2", List.of(QWEN2));
        REGEXES.put("deepseek-coder", List.of(
                "[\r\n]",
                "\\s?\\p{L}+",
                "\\s?\\p{P}+",
                DEEPSEEK_CJK,
                "\\p{N}"));
        REGEXES.put("deepseek-v3", List.of("\\p{N}{1,3}", DEEPSEEK3_CJK, DEEPSEEK3_WORDS));
    }

    private static final Map<String, PreTokenizer> BY_NAME = compileAll();

    private GgufPreTokenizers() {}

    private static Map<String, PreTokenizer> compileAll() {
        Map<String, PreTokenizer> compiled = new LinkedHashMap<>();
        REGEXES.forEach((name, regexes) -> compiled.put(name, new PreTokenizer(name,
                regexes.stream().<SplitStep>map(r -> RegexSplit.isolating(RegexDialect.compileJava(r))).toList())));
        compiled.put("deepseek-llm", new PreTokenizer("deepseek-llm", List.of(
                isolating("[\r\n]"),
                new LetterRunSplit(DEEPSEEK_LLM_LETTERS), // \s?[letters]+
                isolating(DEEPSEEK_LLM_PUNCTUATION),
                isolating("\\s+\\z"),
                isolating(DEEPSEEK_CJK),
                isolating("\\p{N}+"))));
        return Map.copyOf(compiled);
    }

    private static SplitStep isolating(String regex) {
        return RegexSplit.isolating(RegexDialect.compileJava(regex));
    }

    /** The pre-tokenizer named by {@code tokenizer.ggml.pre}, if known. */
    public static Optional<PreTokenizer> byName(String name) {
        return Optional.ofNullable(BY_NAME.get(ALIASES.getOrDefault(name, name)));
    }

    /** The names {@link #byName} knows. */
    public static Set<String> names() {
        Set<String> names = new java.util.TreeSet<>(BY_NAME.keySet());
        names.addAll(ALIASES.keySet());
        return names;
    }

    /** The name of the known pre-tokenizer with exactly these regexes, if any. */
    public static Optional<String> nameOf(List<String> regexes) {
        return REGEXES.entrySet().stream()
                .filter(e -> e.getValue().equals(regexes))
                .map(Map.Entry::getKey)
                .findFirst();
    }
}
