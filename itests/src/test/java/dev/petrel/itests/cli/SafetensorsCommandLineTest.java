package dev.petrel.itests.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.petrel.api.weights.TensorType;
import dev.petrel.conformance.Arch;
import dev.petrel.conformance.HfFolderWriter;
import dev.petrel.conformance.ModelSpec;
import dev.petrel.conformance.RandomModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./petrel} on a Hugging Face folder (FP8 weights with block scales, sharded, with its
 * tokenizer files): generate, tokenize and inspect work on the folder, and greedy generation
 * gives the tokens of the folder's GGUF twin.
 */
class SafetensorsCommandLineTest {

    @TempDir
    static Path models;

    @TempDir
    Path temp;

    static HfFolderWriter.Result written;
    static Path twin;

    @BeforeAll
    static void writeModels() throws Exception {
        written = HfFolderWriter.write(RandomModels.generate(ModelSpec.of(Arch.LLAMA).withType(TensorType.BF16)),
                models.resolve("llama-fp8"), new HfFolderWriter.Options(TensorType.F8_E4M3, true, 2));
        twin = written.twin().writeGguf(models.resolve("llama-fp8-twin.gguf"));
    }

    @Test
    void generate_onAFolder_givesTheTokensOfItsGgufTwin() throws Exception {
        String[] args = {"--prompt-ids", "1,40,77,300,12", "--max-tokens", "16", "--temperature", "0", "--json"};
        Launcher.Run folder = Launcher.run(temp, concat(new String[] {"generate", "--model",
                written.folder().toString()}, args));
        assertEquals(0, folder.status(), folder.stderr());
        Launcher.Run gguf = Launcher.run(temp, concat(new String[] {"generate", "--model", twin.toString()}, args));
        assertEquals(0, gguf.status(), gguf.stderr());
        JsonNode a = new ObjectMapper().readTree(folder.stdout());
        JsonNode b = new ObjectMapper().readTree(gguf.stdout());
        assertTrue(a.get("ids").size() > 0, folder.stdout());
        assertArrayEquals(ints(b.get("ids")), ints(a.get("ids")), "greedy tokens of the folder and its twin");
    }

    @Test
    void generateAndTokenize_useTheFoldersTokenizer() throws Exception {
        Launcher.Run run = Launcher.run(temp, "generate", "--model", written.folder().toString(), "--prompt",
                "The storm petrel", "--max-tokens", "4", "--seed", "3");
        assertEquals(0, run.status(), run.stderr());
        Launcher.Run folder = Launcher.run(temp, "tokenize", "--model", written.folder().toString(), "--json",
                "The storm petrel is a small seabird");
        Launcher.Run gguf = Launcher.run(temp, "tokenize", "--model", twin.toString(), "--json",
                "The storm petrel is a small seabird");
        assertEquals(0, folder.status(), folder.stderr());
        assertEquals(gguf.stdout(), folder.stdout(), "tokenizer.json and the GGUF vocabulary agree");
    }

    @Test
    void inspect_showsTheGgufViewOfTheFolder() throws Exception {
        Launcher.Run run = Launcher.run(temp, "inspect", written.folder().toString());
        assertEquals(0, run.status(), run.stderr());
        assertTrue(run.stdout().contains("format: safetensors"), run.stdout());
        assertTrue(run.stdout().contains("llama.embedding_length = 256"), run.stdout());
        assertTrue(run.stdout().matches("(?s).*blk\\.0\\.attn_q\\.weight\\s+F8_E4M3\\s+\\[256, 256]\\s+65536  "
                + "\\+ block scales 1x128\\n.*"), run.stdout());
        assertTrue(run.stdout().contains("+ block scales 128x128"), run.stdout());
    }

    @Test
    void inspect_ofAFolderWithAMissingScale_namesTheTensor() throws Exception {
        Path broken = temp.resolve("broken");
        Files.createDirectories(broken);
        try (var files = Files.list(written.folder())) {
            for (Path p : files.toList()) {
                Files.copy(p, broken.resolve(p.getFileName()));
            }
        }
        Path index = broken.resolve("model.safetensors.index.json");
        JsonNode json = new ObjectMapper().readTree(index.toFile());
        String shard = json.get("weight_map").get("model.layers.1.mlp.up_proj.weight").asText();
        // the index no longer lists the scale, and the shard holding it is replaced by one without it
        Files.writeString(index, Files.readString(index).replaceAll(
                "\\s*\"model\\.layers\\.1\\.mlp\\.up_proj\\.weight_scale_inv\" : \"[^\"]+\",?", ""));
        rewriteWithout(broken.resolve(shard), "model.layers.1.mlp.up_proj.weight_scale_inv");
        Launcher.Run run = Launcher.run(temp, "inspect", broken.toString());
        assertEquals(1, run.status(), run.stdout());
        assertTrue(run.stderr().contains("model.layers.1.mlp.up_proj.weight: an F8_E4M3 weight needs its block scales"),
                run.stderr());
    }

    /** Rewrites a shard without one tensor. */
    private static void rewriteWithout(Path shard, String tensor) throws Exception {
        byte[] bytes = Files.readAllBytes(shard);
        long length = java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong(0);
        JsonNode header = new ObjectMapper().readTree(new String(bytes, 8, (int) length,
                java.nio.charset.StandardCharsets.UTF_8));
        dev.petrel.conformance.SafetensorsWriter writer = new dev.petrel.conformance.SafetensorsWriter();
        var fields = header.fields();
        while (fields.hasNext()) {
            var f = fields.next();
            if (f.getKey().equals("__metadata__") || f.getKey().equals(tensor)) {
                continue;
            }
            long[] shape = StreamSupport.stream(f.getValue().get("shape").spliterator(), false)
                    .mapToLong(JsonNode::asLong).toArray();
            int begin = (int) (8 + length + f.getValue().get("data_offsets").get(0).asLong());
            int end = (int) (8 + length + f.getValue().get("data_offsets").get(1).asLong());
            writer.add(f.getKey(), f.getValue().get("dtype").asText(), shape,
                    java.util.Arrays.copyOfRange(bytes, begin, end));
        }
        writer.write(shard);
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static int[] ints(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).mapToInt(JsonNode::asInt).toArray();
    }
}
