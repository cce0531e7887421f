package dev.petrel.conformance;

import dev.petrel.api.weights.TensorType;
import dev.petrel.loader.gguf.GgufValue;
import dev.petrel.loader.gguf.GgufWriter;
import dev.petrel.quant.kernel.QuantKernel;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * A random-weight model made by {@link RandomModels#generate} or a {@link Builder}: its GGUF
 * metadata, its tensors as floats (before any conversion to their stored type), and its
 * vocabulary. Write it
 * with {@link #writeGguf}; other writers (safetensors) can use {@link #tensors()}.
 */
public final class RandomModel {

    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * One tensor.
     *
     * @param name GGUF tensor name ({@code blk.0.attn_q.weight})
     * @param dims GGUF dimensions, contiguous first: a matrix {@code {in, out}} is {@code out}
     *     rows of {@code in} values
     * @param values the values, row after row
     * @param type the type the GGUF file stores it in
     */
    public record Tensor(String name, long[] dims, float[] values, TensorType type) {

        public Tensor {
            dims = dims.clone();
            long count = Arrays.stream(dims).reduce(1, Math::multiplyExact);
            if (count != values.length) {
                throw new IllegalArgumentException(name + ": " + Arrays.toString(dims) + " holds " + count + " values, given "
                        + values.length);
            }
        }

        @Override
        public long[] dims() {
            return dims.clone();
        }

        /** Elements per row ({@code dims[0]}). */
        public int rowLength() {
            return (int) dims[0];
        }

        /** Number of rows (the product of the other dimensions). */
        public int rows() {
            return values.length / rowLength();
        }
    }

    private final String name;
    private final ByteLevelVocab vocab;
    private final Map<String, GgufValue> metadata;
    private final Map<String, Tensor> tensors;

    private RandomModel(String name, ByteLevelVocab vocab, Map<String, GgufValue> metadata, Map<String, Tensor> tensors) {
        this.name = name;
        this.vocab = vocab;
        this.metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        this.tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
    }

    /**
     * A builder for random models of any architecture (what {@link RandomModels} uses for
     * llama and qwen, and what other architectures' generators build on). {@code seed} and
     * a tensor's name determine its values.
     */
    public static Builder builder(String name, long seed) {
        return new Builder(name, seed);
    }

    /** The model's name, as in {@code general.name} without the prefix (e.g. {@link ModelSpec#name()}). */
    public String name() {
        return name;
    }

    /** The vocabulary, or null when the builder was given none. */
    public ByteLevelVocab vocab() {
        return vocab;
    }

    /** Every metadata key in the order written. */
    public Map<String, GgufValue> metadata() {
        return metadata;
    }

    /** Every tensor, by name, in the order written. */
    public Map<String, Tensor> tensors() {
        return tensors;
    }

    /** The tensor {@code name}. */
    public Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no tensor '" + name + "' in " + this.name);
        }
        return t;
    }

    /**
     * Writes the model as a GGUF file that llama.cpp loads. Matrices in F16, BF16, Q8_0 or
     * Q4_0 are encoded by the quant bundle's scalar reference codec
     * ({@link QuantKernel#scalar}), which is bit-exact with ggml's reference quantizers.
     *
     * @return {@code file}
     */
    public Path writeGguf(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        GgufWriter writer = GgufWriter.create(file);
        metadata.forEach(writer::put);
        for (Tensor t : tensors.values()) {
            writer.addTensor(t.name(), t.type(), t.dims(), encode(t));
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        return writer.write();
    }

    /** The bytes of {@code t} in its type, little-endian, row after row. */
    static byte[] encode(Tensor t) {
        float[] v = t.values();
        if (t.type() == TensorType.F32) {
            byte[] out = new byte[v.length * Float.BYTES];
            MemorySegment.copy(v, 0, MemorySegment.ofArray(out), LE_FLOAT, 0, v.length);
            return out;
        }
        QuantKernel codec = QuantKernel.scalar(t.type());
        int rowLength = t.rowLength();
        long rowBytes = codec.rowBytes(rowLength);
        byte[] out = new byte[Math.toIntExact(rowBytes * t.rows())];
        MemorySegment dst = MemorySegment.ofArray(out);
        for (int r = 0; r < t.rows(); r++) {
            codec.quantize(v, r * rowLength, dst, r * rowBytes, rowLength);
        }
        return out;
    }

    @Override
    public String toString() {
        return "RandomModel[" + name + ", " + tensors.size() + " tensors]";
    }

    /** Tensor names in the order written. */
    public List<String> tensorNames() {
        return List.copyOf(tensors.keySet());
    }

    /**
     * Collects metadata and random tensors. Matrices are drawn from N(0, 1/fan_in), fan_in
     * being the row length; every tensor has its own random stream, derived from the seed
     * and its name, so adding or reordering tensors leaves the others' values unchanged.
     */
    public static final class Builder {

        private final String name;
        private final long seed;
        private final Map<String, GgufValue> metadata = new LinkedHashMap<>();
        private final Map<String, Tensor> tensors = new LinkedHashMap<>();
        private ByteLevelVocab vocab;

        private Builder(String name, long seed) {
            this.name = Objects.requireNonNull(name, "name");
            this.seed = seed;
        }

        /** Puts a metadata value (a later put of the same key replaces it). */
        public Builder put(String key, GgufValue value) {
            metadata.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
            return this;
        }

        public Builder putString(String key, String value) {
            return put(key, GgufValue.string(value));
        }

        public Builder putUint32(String key, long value) {
            return put(key, GgufValue.uint32(value));
        }

        public Builder putFloat32(String key, float value) {
            return put(key, GgufValue.float32(value));
        }

        public Builder putBool(String key, boolean value) {
            return put(key, GgufValue.bool(value));
        }

        /**
         * A byte-level BPE tokenizer ({@code tokenizer.ggml.model = gpt2}): tokens, token
         * types, merges, the pre-tokenizer name, BOS and EOS ids, and whether BOS is added.
         */
        public Builder tokenizer(ByteLevelVocab value, String preTokenizer, int bos, int eos, boolean addBos) {
            vocab = Objects.requireNonNull(value, "vocab");
            putString("tokenizer.ggml.model", "gpt2");
            putString("tokenizer.ggml.pre", preTokenizer);
            put("tokenizer.ggml.tokens", GgufValue.strings(value.tokens()));
            put("tokenizer.ggml.token_type", GgufValue.array(dev.petrel.loader.gguf.GgufValueType.INT32, value.types()));
            put("tokenizer.ggml.merges", GgufValue.strings(value.merges()));
            putUint32("tokenizer.ggml.bos_token_id", bos);
            putUint32("tokenizer.ggml.eos_token_id", eos);
            putBool("tokenizer.ggml.add_bos_token", addBos);
            return this;
        }

        /** A matrix {@code {in, out}} ({@code out} rows of {@code in}) drawn from N(0, 1/in). */
        public Builder matrix(String tensor, TensorType type, int in, int out) {
            return random(tensor, type, new long[] {in, out}, 0, 1 / StrictMath.sqrt(in));
        }

        /** {@code count} matrices {@code {in, out}} stacked as {@code {in, out, count}} (experts), N(0, 1/in). */
        public Builder stacked(String tensor, TensorType type, int in, int out, int count) {
            return random(tensor, type, new long[] {in, out, count}, 0, 1 / StrictMath.sqrt(in));
        }

        /** An F32 RMS-norm weight of {@code n} values, 1 + N(0, 0.1²). */
        public Builder norm(String tensor, int n) {
            return random(tensor, TensorType.F32, new long[] {n}, 1, 0.1);
        }

        /** An F32 vector of {@code n} values from N(mean, std²) (biases and the like). */
        public Builder vector(String tensor, int n, double mean, double std) {
            return random(tensor, TensorType.F32, new long[] {n}, mean, std);
        }

        /** A tensor of any shape with values from N(mean, std²), stored as {@code type}. */
        public Builder random(String tensor, TensorType type, long[] dims, double mean, double std) {
            long count = Arrays.stream(dims).reduce(1, Math::multiplyExact);
            SplittableRandom random = new SplittableRandom(mix(seed, tensor));
            float[] values = new float[Math.toIntExact(count)];
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) (mean + std * gaussian(random));
            }
            return tensor(new Tensor(tensor, dims, values, type));
        }

        /** A tensor with given values. */
        public Builder tensor(Tensor tensor) {
            if (tensors.putIfAbsent(tensor.name(), tensor) != null) {
                throw new IllegalArgumentException("tensor '" + tensor.name() + "' is already added");
            }
            return this;
        }

        public RandomModel build() {
            return new RandomModel(name, vocab, metadata, tensors);
        }

        /** A seed for {@code tensor}'s stream: the model's seed and the name's bytes, mixed. */
        private static long mix(long seed, String tensor) {
            long h = seed * 0x9E3779B97F4A7C15L;
            for (byte b : tensor.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
                h = (h ^ (b & 0xFF)) * 0x100000001B3L;
                h ^= h >>> 29;
            }
            return h;
        }

        /** A standard normal value (Box-Muller, StrictMath): the same on every JVM for the same stream. */
        private static double gaussian(SplittableRandom random) {
            double u1 = 1.0 - random.nextDouble(); // (0, 1]
            double u2 = random.nextDouble();
            return StrictMath.sqrt(-2 * StrictMath.log(u1)) * StrictMath.cos(2 * StrictMath.PI * u2);
        }
    }
}
