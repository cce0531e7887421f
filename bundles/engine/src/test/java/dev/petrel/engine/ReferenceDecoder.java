package dev.petrel.engine;

import java.util.ArrayList;
import java.util.List;

/**
 * The control: a llama/qwen2/qwen3 forward pass in plain float arrays, one token at a time,
 * written for reading rather than speed. Sums are taken in double; llama.cpp's definitions
 * are followed (RMSNorm, RoPE pairing by architecture, GQA, SwiGLU, tied output).
 */
final class ReferenceDecoder {

    private final TinyModel m;
    private final boolean neox;
    private final int dk;
    private final List<float[][]> keys = new ArrayList<>();    // per layer: [position][Hkv * dk]
    private final List<float[][]> values = new ArrayList<>();  // per layer: [position][Hkv * dk]
    private int position;

    ReferenceDecoder(TinyModel model) {
        this.m = model;
        this.neox = !model.arch.equals("llama");
        this.dk = model.keyLength;
        for (int i = 0; i < model.blocks; i++) {
            keys.add(new float[model.context][]);
            values.add(new float[model.context][]);
        }
    }

    /** Logits after each token, in order. */
    float[][] run(int... tokens) {
        float[][] out = new float[tokens.length][];
        for (int t = 0; t < tokens.length; t++) {
            out[t] = next(tokens[t]);
        }
        return out;
    }

    /** Feeds one token at the next position and returns the logits after it. */
    float[] next(int token) {
        int p = position++;
        float[] x = row(m.weight("token_embd.weight"), m.embd, token);
        for (int layer = 0; layer < m.blocks; layer++) {
            String b = "blk." + layer + ".";
            float[] h = rmsNorm(x, m.weight(b + "attn_norm.weight"));
            float[] q = add(matmul(m.weight(b + "attn_q.weight"), h), m.weight(b + "attn_q.bias"));
            float[] k = add(matmul(m.weight(b + "attn_k.weight"), h), m.weight(b + "attn_k.bias"));
            float[] v = add(matmul(m.weight(b + "attn_v.weight"), h), m.weight(b + "attn_v.bias"));
            for (int head = 0; head < m.heads; head++) {
                normHead(q, head, m.weight(b + "attn_q_norm.weight"));
                rope(q, head, p);
            }
            for (int head = 0; head < m.kvHeads; head++) {
                normHead(k, head, m.weight(b + "attn_k_norm.weight"));
                rope(k, head, p);
            }
            keys.get(layer)[p] = k;
            values.get(layer)[p] = v;
            float[] attended = attend(q, layer, p);
            float[] o = add(matmul(m.weight(b + "attn_output.weight"), attended), m.weight(b + "attn_output.bias"));
            x = add(x, o);

            h = rmsNorm(x, m.weight(b + "ffn_norm.weight"));
            float[] gate = matmul(m.weight(b + "ffn_gate.weight"), h);
            float[] up = matmul(m.weight(b + "ffn_up.weight"), h);
            float[] act = new float[gate.length];
            for (int i = 0; i < act.length; i++) {
                act[i] = (float) (gate[i] / (1 + Math.exp(-gate[i])) * up[i]);
            }
            x = add(x, matmul(m.weight(b + "ffn_down.weight"), act));
        }
        float[] h = rmsNorm(x, m.weight("output_norm.weight"));
        float[] output = m.tied() ? m.weight("token_embd.weight") : m.weight("output.weight");
        return matmul(output, h);
    }

    /** Query head h attends positions 0..p of its key/value head h / (H / Hkv). */
    private float[] attend(float[] q, int layer, int p) {
        int group = m.heads / m.kvHeads;
        float[] out = new float[m.heads * dk];
        double scale = 1 / Math.sqrt(dk);
        for (int h = 0; h < m.heads; h++) {
            int kvh = h / group;
            double[] scores = new double[p + 1];
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j <= p; j++) {
                double dot = 0;
                for (int i = 0; i < dk; i++) {
                    dot += q[h * dk + i] * keys.get(layer)[j][kvh * dk + i];
                }
                scores[j] = dot * scale;
                max = Math.max(max, scores[j]);
            }
            double sum = 0;
            for (int j = 0; j <= p; j++) {
                scores[j] = Math.exp(scores[j] - max);
                sum += scores[j];
            }
            for (int i = 0; i < dk; i++) {
                double acc = 0;
                for (int j = 0; j <= p; j++) {
                    acc += scores[j] / sum * values.get(layer)[j][kvh * dk + i];
                }
                out[h * dk + i] = (float) acc;
            }
        }
        return out;
    }

    /**
     * Rotates one head at position p. Pair i turns by p * base^(-2i/d) / factor_i; the pair is
     * (2i, 2i+1) for llama and (i, i + d/2) for qwen.
     */
    private void rope(float[] x, int head, int p) {
        float[] factors = m.weight("rope_freqs.weight");
        int base = head * dk;
        for (int i = 0; i < dk / 2; i++) {
            double theta = p * Math.pow(m.ropeBase, -2.0 * i / dk) / (factors == null ? 1 : factors[i]);
            int a = neox ? base + i : base + 2 * i;
            int b = neox ? base + i + dk / 2 : base + 2 * i + 1;
            double x0 = x[a];
            double x1 = x[b];
            x[a] = (float) (x0 * Math.cos(theta) - x1 * Math.sin(theta));
            x[b] = (float) (x0 * Math.sin(theta) + x1 * Math.cos(theta));
        }
    }

    private void normHead(float[] x, int head, float[] weight) {
        if (weight == null) {
            return;
        }
        float[] part = java.util.Arrays.copyOfRange(x, head * dk, (head + 1) * dk);
        System.arraycopy(rmsNorm(part, weight), 0, x, head * dk, dk);
    }

    private float[] rmsNorm(float[] x, float[] weight) {
        double squares = 0;
        for (float v : x) {
            squares += (double) v * v;
        }
        double scale = 1 / Math.sqrt(squares / x.length + m.eps);
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = (float) (x[i] * scale * weight[i]);
        }
        return out;
    }

    /** y = W x for a GGUF matrix {n_in, n_out}: n_out rows of n_in. */
    private static float[] matmul(float[] w, float[] x) {
        int in = x.length;
        float[] y = new float[w.length / in];
        for (int o = 0; o < y.length; o++) {
            double acc = 0;
            for (int i = 0; i < in; i++) {
                acc += (double) w[o * in + i] * x[i];
            }
            y[o] = (float) acc;
        }
        return y;
    }

    private static float[] row(float[] table, int length, int index) {
        return java.util.Arrays.copyOfRange(table, index * length, (index + 1) * length);
    }

    private static float[] add(float[] a, float[] b) {
        if (b == null) {
            return a;
        }
        float[] out = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i] + b[i];
        }
        return out;
    }
}
