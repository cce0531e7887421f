package dev.petrel.engine.arch;

import dev.petrel.api.kernel.RopeParams;

/**
 * RoPE and its context scaling from {@code {arch}.rope.*}, as llama.cpp reads them:
 * {@code rope.scaling.type} is {@code linear} when absent, and {@code rope.scaling.factor}
 * (or the older {@code rope.scale_linear}) divides the frequencies unless the type is
 * {@code none}. Llama 3 scaling comes as the {@code rope_freqs.weight} tensor in GGUF files;
 * a source that gives it as keys instead ({@code rope.scaling.type = llama3} with
 * {@code factor}, {@code low_freq_factor}, {@code high_freq_factor} and
 * {@code original_context_length}, as Hugging Face configs do) gets the same factors computed
 * here.
 */
final class RopeScaling {

    static final String KNOWN = "none, linear, yarn, llama3";

    private RopeScaling() {
    }

    /**
     * @param dimensions rotated elements per head ({@code rope.dimension_count})
     * @param trainedContext {@code context_length}, YaRN's original context when not given
     */
    static RopeParams params(ArchKeys keys, RopeParams.Mode mode, int dimensions, int trainedContext) {
        float base = keys.positive("rope.freq_base", 10000f);
        String type = keys.metadata().optionalString(keys.key("rope.scaling.type")).orElse("linear");
        float factor = scalingFactor(keys);
        return switch (type) {
            case "none", "llama3" -> RopeParams.of(mode, dimensions, base);
            case "linear" -> new RopeParams(mode, dimensions, base, 1f / factor, 0, 0f, 1f, 32f, 1f);
            case "yarn" -> new RopeParams(mode, dimensions, base, 1f / factor,
                    keys.count("rope.scaling.original_context_length", trainedContext), 1f,
                    keys.positive("rope.scaling.attn_factor", 1f),
                    keys.positive("rope.scaling.yarn_beta_fast", 32f),
                    keys.positive("rope.scaling.yarn_beta_slow", 1f));
            default -> throw keys.error("rope.scaling.type", "unknown scaling '" + type + "'; known: " + KNOWN);
        };
    }

    /**
     * The per-pair frequency divisors of Llama 3 scaling when the metadata asks for it by keys,
     * else null. Wavelengths shorter than {@code original / high_freq_factor} keep their
     * frequency, those longer than {@code original / low_freq_factor} are divided by
     * {@code factor}, and those between move smoothly from one to the other.
     */
    static float[] llama3Factors(ArchKeys keys, int dimensions) {
        String type = keys.metadata().optionalString(keys.key("rope.scaling.type")).orElse("linear");
        if (!type.equals("llama3")) {
            return null;
        }
        float base = keys.positive("rope.freq_base", 10000f);
        double factor = scalingFactor(keys);
        double low = keys.positive("rope.scaling.low_freq_factor", 1f);
        double high = keys.positive("rope.scaling.high_freq_factor", 4f);
        double original = keys.count("rope.scaling.original_context_length");
        if (!(high > low)) {
            throw keys.error("rope.scaling.high_freq_factor", "must exceed rope.scaling.low_freq_factor " + low);
        }
        float[] divisors = new float[dimensions / 2];
        for (int i = 0; i < divisors.length; i++) {
            double wavelength = 2 * Math.PI * Math.pow(base, 2.0 * i / dimensions);
            double divisor;
            if (wavelength < original / high) {
                divisor = 1;
            } else if (wavelength > original / low) {
                divisor = factor;
            } else {
                double smooth = (original / wavelength - low) / (high - low);
                divisor = 1 / ((1 - smooth) / factor + smooth);
            }
            divisors[i] = (float) divisor;
        }
        return divisors;
    }

    private static float scalingFactor(ArchKeys keys) {
        String suffix = keys.has("rope.scaling.factor") ? "rope.scaling.factor" : "rope.scale_linear";
        if (!keys.has(suffix)) {
            return 1f;
        }
        float factor = (float) keys.metadata().number(keys.key(suffix));
        // llama.cpp reads 0 as "no scaling"
        if (factor == 0) {
            return 1f;
        }
        if (!(factor > 0) || !Float.isFinite(factor)) {
            throw keys.error(suffix, "expected a positive factor, found " + factor);
        }
        return factor;
    }
}
