package dev.petrel.loader.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import dev.petrel.api.ModelFormatException;
import dev.petrel.api.quant.BlockScales;
import dev.petrel.api.weights.Metadata;
import dev.petrel.api.weights.TensorInfo;
import dev.petrel.api.weights.TensorType;
import dev.petrel.api.weights.WeightSource;
import dev.petrel.loader.safetensors.HfArchitecture.Target;
import dev.petrel.loader.safetensors.HfArchitecture.Transform;
import dev.petrel.loader.safetensors.SafetensorsFile.Entry;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A Hugging Face model folder as a weight source: {@code config.json}, one
 * {@code model.safetensors} or the shards listed by {@code model.safetensors.index.json}, and
 * the tokenizer files (read by the tokenizer service from {@link #location()}).
 *
 * <p>The folder is presented as its GGUF conversion would be ({@link HfArchitecture}): GGUF
 * metadata keys and tensor names, dims contiguous first. Most tensors are slices of the mapped
 * shards. A few are made once, on first use, from the mapped bytes: Llama's q/k matrices with
 * their rows permuted, per-expert matrices stacked into one tensor (raw bytes copied, never
 * converted), 1-D tensors (norms, biases) in F16 or BF16 widened to F32 as the converter
 * stores them, and Llama 3's {@code rope_freqs.weight}. FP8 E4M3 weights keep their bytes and
 * come with their {@code weight_scale_inv} as {@link BlockScales}.
 *
 * <p>Opening reads config.json, the index and every shard's header, and validates them all;
 * errors name the file, the tensor or key, and what was expected.
 */
public final class HfModelFolder implements WeightSource {

    /** The value of the {@code format} service property and of {@link #format()}. */
    public static final String FORMAT = "safetensors";
    static final String CONFIG = "config.json";
    static final String SINGLE = "model.safetensors";
    static final String INDEX = "model.safetensors.index.json";
    /** More shards than any published model has; bounds what a hostile index can make us open. */
    static final int MAX_SHARDS = 100_000;

    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** One HF tensor with the file that holds it. */
    private record Part(SafetensorsFile file, Entry entry, Entry scale) {
    }

    /** A presented tensor: what it is made of and how. */
    private record Presented(TensorInfo info, List<Part> parts, Transform transform, boolean widen, float[] values,
            int blockRows, int blockColumns) {

        boolean direct() {
            return values == null && parts.size() == 1 && transform == Transform.NONE && !widen;
        }
    }

    private final String location;
    private final List<SafetensorsFile> files;
    private final HfArchitecture architecture;
    private final Metadata metadata;
    private final List<TensorInfo> tensors;
    private final Map<String, Presented> byName;
    private final Arena derived = Arena.ofShared();
    private final Map<String, MemorySegment> made = new ConcurrentHashMap<>();
    private final Map<String, BlockScales> scales = new ConcurrentHashMap<>();
    private final AtomicBoolean closed = new AtomicBoolean();

    private HfModelFolder(Path folder, List<SafetensorsFile> files, HfConfig config) {
        this.location = folder.toString();
        this.files = files;
        Path name = folder.toAbsolutePath().normalize().getFileName();
        this.architecture = HfArchitecture.of(config, name == null ? "model" : name.toString());
        int[] block = blockSize(config);
        Map<String, Presented> presented = present(block);
        this.byName = Collections.unmodifiableMap(presented);
        this.tensors = presented.values().stream().map(Presented::info).toList();
        this.metadata = new FolderMetadata(location, architecture.metadata());
    }

    /**
     * Opens a model folder: reads config.json and the index, maps every shard and validates
     * their headers and the tensors against the architecture.
     *
     * @throws ModelFormatException naming the file and what is wrong
     * @throws IOException if a file cannot be read or mapped
     */
    public static HfModelFolder open(Path folder) throws IOException {
        Path configFile = folder.resolve(CONFIG);
        if (!Files.isRegularFile(configFile)) {
            throw new ModelFormatException(folder.toString(), CONFIG, "file is missing; a Hugging Face model folder has one");
        }
        HfConfig config = HfConfig.read(configFile);
        List<Path> shards = shards(folder);
        List<SafetensorsFile> files = new ArrayList<>();
        try {
            for (Path shard : shards) {
                files.add(SafetensorsFile.open(shard));
            }
            if (Files.isRegularFile(folder.resolve(INDEX))) {
                checkIndex(folder, files);
            }
            return new HfModelFolder(folder, files, config);
        } catch (Throwable e) {
            files.forEach(SafetensorsFile::close);
            throw e;
        }
    }

    /** Whether {@code path} is a folder with config.json and safetensors weights; cheap, never throws. */
    public static boolean looksLikeModelFolder(Path path) {
        try {
            return Files.isDirectory(path) && Files.isRegularFile(path.resolve(CONFIG))
                    && (Files.isRegularFile(path.resolve(SINGLE)) || Files.isRegularFile(path.resolve(INDEX)));
        } catch (SecurityException e) {
            return false;
        }
    }

    // ---- files -------------------------------------------------------------------------

    /** The shard files: those the index names (in first-use order), or model.safetensors. */
    private static List<Path> shards(Path folder) throws IOException {
        Path index = folder.resolve(INDEX);
        if (!Files.isRegularFile(index)) {
            Path single = folder.resolve(SINGLE);
            if (!Files.isRegularFile(single)) {
                throw new ModelFormatException(folder.toString(), SINGLE, "neither " + SINGLE + " nor " + INDEX
                        + " is in the folder");
            }
            return List.of(single);
        }
        Set<String> names = new LinkedHashSet<>();
        HfConfig config = HfConfig.read(index);
        JsonNode map = weightMap(config);
        Iterator<Map.Entry<String, JsonNode>> entries = map.fields();
        while (entries.hasNext()) {
            Map.Entry<String, JsonNode> e = entries.next();
            if (!e.getValue().isTextual()) {
                throw config.error("weight_map." + e.getKey(), "expected a shard file name, found " + e.getValue());
            }
            String file = e.getValue().textValue();
            if (!isPlainFileName(file)) {
                throw config.error("weight_map." + e.getKey(), "'" + file
                        + "' is not a plain .safetensors file name inside the folder");
            }
            names.add(file);
            if (names.size() > MAX_SHARDS) {
                throw config.error("weight_map", "more than " + MAX_SHARDS + " shard files");
            }
        }
        if (names.isEmpty()) {
            throw config.error("weight_map", "lists no tensors");
        }
        List<Path> paths = new ArrayList<>();
        for (String n : names) {
            Path p = folder.resolve(n);
            if (!Files.isRegularFile(p)) {
                throw new ModelFormatException(index.toString(), "weight_map", "names the shard " + n
                        + ", which is not in the folder");
            }
            paths.add(p);
        }
        return paths;
    }

    private static JsonNode weightMap(HfConfig index) {
        JsonNode map = index.node("weight_map");
        if (map == null || !map.isObject()) {
            throw index.error("weight_map", "expected an object from tensor names to shard files");
        }
        return map;
    }

    private static boolean isPlainFileName(String name) {
        return name.endsWith(".safetensors") && !name.contains("/") && !name.contains("\\") && !name.startsWith(".")
                && name.indexOf('\0') < 0;
    }

    /** Every index entry is in the shard it names, and every shard tensor is in the index. */
    private static void checkIndex(Path folder, List<SafetensorsFile> files) throws IOException {
        HfConfig index = HfConfig.read(folder.resolve(INDEX));
        JsonNode map = weightMap(index);
        Map<String, SafetensorsFile> byFile = new HashMap<>();
        for (SafetensorsFile f : files) {
            byFile.put(Path.of(f.location()).getFileName().toString(), f);
        }
        Iterator<Map.Entry<String, JsonNode>> entries = map.fields();
        while (entries.hasNext()) {
            Map.Entry<String, JsonNode> e = entries.next();
            SafetensorsFile shard = byFile.get(e.getValue().textValue());
            if (!shard.entries().containsKey(e.getKey())) {
                throw index.error("weight_map." + e.getKey(), "names shard " + e.getValue().textValue()
                        + ", which holds no such tensor");
            }
        }
        for (SafetensorsFile f : files) {
            for (String tensor : f.entries().keySet()) {
                JsonNode listed = map.get(tensor);
                if (listed == null || !listed.textValue().equals(Path.of(f.location()).getFileName().toString())) {
                    throw new ModelFormatException(f.location(), tensor, "is not listed for this shard in " + INDEX);
                }
            }
        }
    }

    /** {@code quantization_config.weight_block_size} (rows, columns), 128 × 128 when not given. */
    private static int[] blockSize(HfConfig config) {
        Optional<HfConfig> quant = config.object("quantization_config");
        if (quant.isEmpty() || !quant.get().has("weight_block_size")) {
            return new int[] {128, 128};
        }
        JsonNode size = quant.get().node("weight_block_size");
        if (!size.isArray() || size.size() != 2 || !size.get(0).canConvertToInt() || !size.get(1).canConvertToInt()
                || size.get(0).intValue() < 1 || size.get(1).intValue() < 1) {
            throw quant.get().error("weight_block_size", "expected [rows, columns] of a scale block, found " + size);
        }
        return new int[] {size.get(0).intValue(), size.get(1).intValue()};
    }

    // ---- the GGUF view ------------------------------------------------------------------

    private Map<String, Presented> present(int[] block) {
        Map<String, Part> hf = new LinkedHashMap<>();
        Map<String, Entry> scaleEntries = new HashMap<>();
        for (SafetensorsFile f : files) {
            for (Entry e : f.entries().values()) {
                if (hf.containsKey(e.name()) || scaleEntries.containsKey(e.name())) {
                    throw new ModelFormatException(f.location(), e.name(), "the tensor is also in another shard");
                }
                if (e.name().endsWith("_scale_inv")) {
                    scaleEntries.put(e.name(), e);
                } else {
                    hf.put(e.name(), new Part(f, e, null));
                }
            }
        }
        Map<String, Presented> out = new LinkedHashMap<>();
        Map<String, TreeMap<Integer, Part>> stacks = new LinkedHashMap<>();
        Set<String> usedScales = new java.util.HashSet<>();
        for (Part p : hf.values()) {
            Entry e = p.entry();
            Target target = architecture.map(e.name()).orElseThrow(() -> new ModelFormatException(p.file().location(),
                    e.name(), "no GGUF tensor of " + architecture.arch() + " (" + architecture.hfName()
                            + ") corresponds to it"));
            if (target == HfArchitecture.SKIP) {
                usedScales.add(e.name() + "_scale_inv"); // left out with its weight
                continue;
            }
            Part part = withScale(p, scaleEntries, usedScales, block);
            if (target.expert() >= 0) {
                TreeMap<Integer, Part> stack = stacks.computeIfAbsent(target.name(), k -> new TreeMap<>());
                stack.put(target.expert(), part);
                if (stack.size() == 1) {
                    out.put(target.name(), null); // keeps the position of the first expert
                }
                continue;
            }
            if (out.containsKey(target.name())) {
                throw new ModelFormatException(p.file().location(), e.name(), "maps to " + target.name()
                        + ", which another tensor already maps to");
            }
            out.put(target.name(), single(target, part, block));
        }
        for (Map.Entry<String, TreeMap<Integer, Part>> s : stacks.entrySet()) {
            out.put(s.getKey(), stacked(s.getKey(), s.getValue(), block));
        }
        for (String scale : scaleEntries.keySet()) {
            if (!usedScales.contains(scale)) {
                SafetensorsFile f = files.stream().filter(x -> x.entries().containsKey(scale)).findFirst().orElseThrow();
                throw new ModelFormatException(f.location(), scale, "a block scale without its FP8 weight "
                        + scale.substring(0, scale.length() - "_scale_inv".length()));
            }
        }
        float[] ropeFreqs = architecture.ropeFreqs();
        if (ropeFreqs != null) {
            if (out.containsKey("rope_freqs.weight")) {
                throw new ModelFormatException(location, "rope_freqs.weight", "given both as a tensor and by rope_scaling");
            }
            TensorInfo info = new TensorInfo("rope_freqs.weight", TensorType.F32, new long[] {ropeFreqs.length}, 0,
                    4L * ropeFreqs.length);
            out.put(info.name(), new Presented(info, List.of(), Transform.NONE, false, ropeFreqs, 0, 0));
        }
        return out;
    }

    /** The part with its scale tensor when it is FP8; checks the scale's dtype and shape. */
    private Part withScale(Part p, Map<String, Entry> scaleEntries, Set<String> usedScales, int[] block) {
        Entry e = p.entry();
        if (e.dtype() != TensorType.F8_E4M3) {
            return p;
        }
        String scaleName = e.name() + "_scale_inv";
        Entry scale = scaleEntries.get(scaleName);
        if (scale == null) {
            throw new ModelFormatException(p.file().location(), e.name(), "an F8_E4M3 weight needs its block scales "
                    + scaleName + ", which no shard holds");
        }
        usedScales.add(scaleName);
        long[] shape = e.shape();
        if (shape.length != 2) {
            throw new ModelFormatException(p.file().location(), e.name(), "an F8_E4M3 weight must be a matrix, found shape "
                    + Arrays.toString(shape));
        }
        long[] expected = {Math.ceilDiv(shape[0], block[0]), Math.ceilDiv(shape[1], block[1])};
        if (scale.dtype() != TensorType.F32 || !Arrays.equals(scale.shape(), expected)) {
            throw new ModelFormatException(p.file().location(), scaleName, "expected F32 scales of shape "
                    + Arrays.toString(expected) + " (" + block[0] + " x " + block[1] + " blocks of " + e.name() + " "
                    + Arrays.toString(shape) + "), found " + scale.dtype() + " " + Arrays.toString(scale.shape()));
        }
        return new Part(p.file(), e, scale);
    }

    private Presented single(Target target, Part part, int[] block) {
        Entry e = part.entry();
        long[] dims = e.dims();
        boolean widen = dims.length == 1 && (e.dtype() == TensorType.BF16 || e.dtype() == TensorType.F16);
        TensorType type = widen ? TensorType.F32 : e.dtype();
        long bytes = widen ? 4 * dims[0] : e.byteSize();
        TensorInfo info = new TensorInfo(target.name(), type, dims, e.begin(), bytes);
        return new Presented(info, List.of(part), target.transform(), widen, null, block[0], block[1]);
    }

    private Presented stacked(String name, TreeMap<Integer, Part> experts, int[] block) {
        Part first = experts.firstEntry().getValue();
        int expected = architecture.experts();
        if (experts.size() != expected || experts.firstKey() != 0 || experts.lastKey() != expected - 1) {
            throw new ModelFormatException(location, name, "experts " + summary(experts.keySet())
                    + " found in the shards, but config.json says there are " + expected + " (0 to " + (expected - 1)
                    + ")");
        }
        for (Part p : experts.values()) {
            if (p.entry().dtype() != first.entry().dtype() || !Arrays.equals(p.entry().shape(), first.entry().shape())) {
                throw new ModelFormatException(p.file().location(), p.entry().name(), "expected " + first.entry().dtype()
                        + " " + Arrays.toString(first.entry().shape()) + " like " + first.entry().name() + ", found "
                        + p.entry().dtype() + " " + Arrays.toString(p.entry().shape()));
            }
        }
        long[] shape = first.entry().shape();
        if (shape.length != 2) {
            throw new ModelFormatException(first.file().location(), first.entry().name(),
                    "an expert's weight must be a matrix, found shape " + Arrays.toString(shape));
        }
        long[] dims = {shape[1], shape[0], expected};
        long bytes = Math.multiplyExact(first.entry().byteSize(), (long) expected);
        TensorInfo info = new TensorInfo(name, first.entry().dtype(), dims, 0, bytes);
        return new Presented(info, List.copyOf(experts.values()), Transform.NONE, false, null, block[0], block[1]);
    }

    private static String summary(Set<Integer> ids) {
        List<Integer> list = new ArrayList<>(ids);
        return list.size() <= 12 ? list.toString() : list.subList(0, 12) + "... (" + list.size() + " in all)";
    }

    // ---- WeightSource ------------------------------------------------------------------

    @Override
    public String location() {
        return location;
    }

    @Override
    public String format() {
        return FORMAT;
    }

    @Override
    public Metadata metadata() {
        return metadata;
    }

    @Override
    public List<TensorInfo> tensors() {
        return tensors;
    }

    @Override
    public Optional<TensorInfo> tensor(String name) {
        Presented p = byName.get(name);
        return p == null ? Optional.empty() : Optional.of(p.info());
    }

    /**
     * The bytes of a tensor: a read-only slice of a mapped shard, or for a made tensor its
     * copy, made on first use.
     */
    @Override
    public MemorySegment data(TensorInfo tensor) {
        Presented p = presented(tensor);
        if (p.direct()) {
            Part part = p.parts().getFirst();
            return part.file().data(part.entry());
        }
        return made.computeIfAbsent(p.info().name(), k -> make(p)).asReadOnly();
    }

    @Override
    public Optional<BlockScales> scales(TensorInfo tensor) {
        Presented p = presented(tensor);
        if (p.info().type() != TensorType.F8_E4M3) {
            return Optional.empty();
        }
        return Optional.of(scales.computeIfAbsent(p.info().name(), k -> makeScales(p)));
    }

    private Presented presented(TensorInfo tensor) {
        if (closed.get()) {
            throw new IllegalStateException(location + " is closed");
        }
        Presented p = byName.get(tensor.name());
        if (p == null || !p.info().equals(tensor)) {
            throw new IllegalArgumentException(tensor + " is not a tensor of " + location);
        }
        return p;
    }

    private MemorySegment make(Presented p) {
        TensorInfo info = p.info();
        if (p.transform() != Transform.NONE && !p.widen()) {
            Part part = p.parts().getFirst();
            return permuteRows(p, part, part.file().data(part.entry()));
        }
        MemorySegment out = derived.allocate(info.byteSize(), 64);
        if (p.values() != null) {
            MemorySegment.copy(p.values(), 0, out, F32_LE, 0, p.values().length);
            return out;
        }
        if (p.parts().size() > 1) {
            long at = 0;
            for (Part part : p.parts()) {
                MemorySegment src = part.file().data(part.entry());
                MemorySegment.copy(src, 0, out, at, src.byteSize());
                at += src.byteSize();
            }
            return out;
        }
        Part part = p.parts().getFirst();
        MemorySegment src = part.file().data(part.entry());
        if (p.transform() != Transform.NONE) {
            src = permuteRows(p, part, src);
        }
        if (p.widen()) {
            long n = info.dim(0);
            for (long i = 0; i < n; i++) {
                short h = src.get(SHORT_LE, 2 * i);
                float f = part.entry().dtype() == TensorType.BF16 ? Float.intBitsToFloat(h << 16) : Float.float16ToFloat(h);
                out.set(F32_LE, 4 * i, f);
            }
        } else {
            MemorySegment.copy(src, 0, out, 0, src.byteSize());
        }
        return out;
    }

    private MemorySegment permuteRows(Presented p, Part part, MemorySegment src) {
        long[] shape = part.entry().shape();
        int rows = Math.toIntExact(shape[0]);
        long rowBytes = src.byteSize() / rows;
        int[] order = HfArchitecture.permutedRows(rows, headCount(p), part.file().location(), part.entry().name());
        MemorySegment out = derived.allocate(src.byteSize(), 64);
        for (int r = 0; r < rows; r++) {
            MemorySegment.copy(src, order[r] * rowBytes, out, r * rowBytes, rowBytes);
        }
        return out;
    }

    private int headCount(Presented p) {
        return p.transform() == Transform.PERMUTE_Q ? architecture.heads() : architecture.kvHeads();
    }

    private BlockScales makeScales(Presented p) {
        Part first = p.parts().getFirst();
        long[] shape = first.entry().shape();
        long rows = shape[0];
        long columns = shape[1];
        if (p.parts().size() > 1) {
            long perMatrix = first.scale().byteSize();
            MemorySegment all = derived.allocate(perMatrix * p.parts().size(), 4);
            long at = 0;
            for (Part part : p.parts()) {
                MemorySegment.copy(scaleData(part), 0, all, at, perMatrix);
                at += perMatrix;
            }
            return new BlockScales(all.asReadOnly(), p.blockRows(), p.blockColumns(), rows, columns);
        }
        BlockScales original = new BlockScales(scaleData(first), p.blockRows(), p.blockColumns(), rows, columns);
        if (p.transform() == Transform.NONE) {
            return original;
        }
        // Permuted rows leave their 128-row blocks: one scale per row and column block instead.
        int[] order = HfArchitecture.permutedRows((int) rows, headCount(p), first.file().location(), first.entry().name());
        long blocksAcross = Math.ceilDiv(columns, p.blockColumns());
        MemorySegment perRow = derived.allocate(4 * rows * blocksAcross, 4);
        for (int r = 0; r < rows; r++) {
            for (long b = 0; b < blocksAcross; b++) {
                perRow.setAtIndex(F32_LE, r * blocksAcross + b, original.scale(order[r], b * p.blockColumns()));
            }
        }
        return new BlockScales(perRow.asReadOnly(), 1, p.blockColumns(), rows, columns);
    }

    private MemorySegment scaleData(Part part) {
        SafetensorsFile holder = files.stream().filter(f -> f.entries().get(part.scale().name()) == part.scale())
                .findFirst().orElseThrow();
        return holder.data(part.scale());
    }

    /** Unmaps every shard and frees the tensors made from them. Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            files.forEach(SafetensorsFile::close);
            derived.close();
        }
    }

    /** The HF architecture class named in config.json. */
    public String sourceArchitecture() {
        return architecture.hfName();
    }

    @Override
    public String toString() {
        return "HfModelFolder[" + location + ", " + architecture.hfName() + ", " + files.size() + " files, "
                + tensors.size() + " tensors]";
    }
}
