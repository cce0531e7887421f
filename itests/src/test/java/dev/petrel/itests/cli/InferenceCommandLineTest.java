package dev.petrel.itests.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.petrel.api.weights.TensorInfo;
import dev.petrel.conformance.Arch;
import dev.petrel.conformance.DeepSeek2Models;
import dev.petrel.conformance.LlamaCppReference;
import dev.petrel.conformance.ModelSpec;
import dev.petrel.conformance.RandomModels;
import dev.petrel.loader.gguf.GgufFile;
import dev.petrel.loader.gguf.GgufWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./petrel generate | bench | run} on random-weight models, as a user runs them. */
class InferenceCommandLineTest {

    @TempDir
    static Path models;

    @TempDir
    Path temp;

    static Path model;

    @BeforeAll
    static void writeModel() throws Exception {
        model = RandomModels.write(ModelSpec.of(Arch.QWEN2), models.resolve("qwen2.gguf"));
    }

    @Test
    void generateJson_givesLlamaCppsGreedyTokens() throws Exception {
        int[] prompt = {17, 42, 99, 7, 300};
        Launcher.Run run = Launcher.run(temp, "generate", "--model", model.toString(), "--prompt-ids", "17,42,99,7,300",
                "--max-tokens", "16", "--temperature", "0", "--json");
        assertEquals(0, run.status(), run.stderr());
        JsonNode json = new ObjectMapper().readTree(run.stdout());
        assertEquals(3, json.size(), "exactly prompt_ids, ids and text: " + run.stdout());
        assertArrayEquals(prompt, ints(json.get("prompt_ids")));
        int[] ids = ints(json.get("ids"));
        assertTrue(ids.length > 0 && ids.length <= 16, run.stdout());
        try (LlamaCppReference llama = LlamaCppReference.start();
                LlamaCppReference.Model reference = llama.load(model)) {
            int[] expected = reference.greedy(prompt, ids.length).ids();
            assertArrayEquals(expected, ids, "greedy tokens differ from llama.cpp's");
            assertEquals(reference.detokenize(ids), json.get("text").asText());
        }
    }

    @Test
    void generateStop_endsTheTextBeforeTheStopString() throws Exception {
        String[] base = {"generate", "--model", model.toString(), "--prompt-ids", "5,6,7", "--max-tokens", "24",
                "--temperature", "0", "--json"};
        Launcher.Run full = Launcher.run(temp, base);
        assertEquals(0, full.status(), full.stderr());
        String text = new ObjectMapper().readTree(full.stdout()).get("text").asText();
        assertTrue(text.length() >= 6, "the random model wrote too little to cut: '" + text + "'");
        String stop = text.substring(text.length() / 2, text.length() / 2 + 2);

        String[] withStop = Arrays.copyOf(base, base.length + 2);
        withStop[base.length] = "--stop";
        withStop[base.length + 1] = stop;
        Launcher.Run cut = Launcher.run(temp, withStop);
        assertEquals(0, cut.status(), cut.stderr());
        assertEquals(text.substring(0, text.indexOf(stop)), new ObjectMapper().readTree(cut.stdout()).get("text").asText());
    }

    @Test
    void generate_streamsTextAndReportsTimings() throws Exception {
        Launcher.Run run = Launcher.run(temp, "generate", "--model", model.toString(), "--prompt", "Hello",
                "--max-tokens", "8", "--seed", "7");
        assertEquals(0, run.status(), run.stderr());
        assertTrue(run.stderr().matches("(?s).*prompt \\d+ tokens \\(.* tok/s\\), generated \\d+ tokens.*"), run.stderr());
    }

    @Test
    void benchJson_reportsPromptAndGenerationSpeed() throws Exception {
        Launcher.Run run = Launcher.run(temp, "bench", "--model", model.toString(), "--pp", "16", "--tg", "4",
                "--repetitions", "1", "--threads", "1", "--json");
        assertEquals(0, run.status(), run.stderr());
        JsonNode json = new ObjectMapper().readTree(run.stdout());
        assertTrue(json.get("pp_tokens_per_s").asDouble() > 0, run.stdout());
        assertTrue(json.get("tg_tokens_per_s").asDouble() > 0, run.stdout());
        assertTrue(json.get("warm_up_s").asDouble() > 0, run.stdout()); // timed apart, not counted
    }

    @Test
    void inspectAndBench_reportTheLatentCacheNextToMha() throws Exception {
        // V2-Lite style: 3 layers, 4 heads of dk 48 / dv 32, kv_lora_rank 64, rope key 16.
        Path deepseek = DeepSeek2Models.write(DeepSeek2Models.Spec.v2Lite(), temp.resolve("deepseek2.gguf"));
        Launcher.Run inspect = Launcher.run(temp, "inspect", deepseek.toString());
        assertEquals(0, inspect.status(), inspect.stderr());
        assertTrue(inspect.stdout().contains("kv cache: 3 layers x 80 elements (MLA latent 64 + rope key 16) = 480"
                + " bytes/token in F16; MHA equivalent 1,920 bytes/token (75.0% less)"), inspect.stdout());

        Launcher.Run bench = Launcher.run(temp, "bench", "--model", deepseek.toString(), "--pp", "8", "--tg", "2",
                "--repetitions", "1", "--threads", "1", "--json");
        assertEquals(0, bench.status(), bench.stderr());
        JsonNode json = new ObjectMapper().readTree(bench.stdout());
        assertEquals(480, json.get("kv_cache_bytes_per_token").asLong(), bench.stdout());
        assertEquals(1920, json.get("kv_cache_mha_equivalent_bytes_per_token").asLong(), bench.stdout());
        assertTrue(json.get("tg_tokens_per_s").asDouble() > 0, bench.stdout());

        // GQA: qwen2's 2 key/value heads against its 4 query heads.
        Launcher.Run gqa = Launcher.run(temp, "inspect", model.toString());
        assertEquals(0, gqa.status(), gqa.stderr());
        assertTrue(gqa.stdout().contains("(50.0% less)"), gqa.stdout());
    }

    @Test
    void run_chatsThroughTheModelsTemplate() throws Exception {
        Path chatModel = withChatTemplate(model, temp.resolve("chat.gguf"),
                "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
                        + "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}");
        Launcher.Run run = Launcher.runWithInput(temp, "Hi there\nAnd again\n/bye\n",
                "run", chatModel.toString(), "--max-tokens", "6", "--temperature", "0");
        assertEquals(0, run.status(), run.stderr());
        assertTrue(run.stdout().contains("qwen2"), run.stdout());
        assertEquals(2, run.stderr().lines().filter(l -> l.startsWith("prompt ")).count(),
                "one timing line per turn: " + run.stderr());
    }

    @Test
    void generate_missingModelNamesIt() throws Exception {
        Launcher.Run run = Launcher.run(temp, "generate", "--model", temp.resolve("absent.gguf").toString(),
                "--prompt", "x");
        assertEquals(1, run.status());
        assertTrue(run.stderr().contains("absent.gguf"), run.stderr());
    }

    @Test
    void runOffline_saysSoAndHowToPassALocalFile() throws Exception {
        // The default model is resolved against an endpoint that refuses connections.
        Launcher.Run run = Launcher.runWithEnvironment(temp,
                Map.of("HF_ENDPOINT", "http://127.0.0.1:9", "PETREL_CACHE", temp.resolve("cache").toString()),
                "run");
        assertEquals(1, run.status(), run.stdout());
        assertTrue(run.stderr().toLowerCase().contains("offline"), run.stderr());
        assertTrue(run.stderr().contains("--model"), run.stderr());
    }

    /** A copy of a GGUF file with a chat template added. */
    private static Path withChatTemplate(Path source, Path target, String template) throws Exception {
        try (GgufFile file = GgufFile.open(source)) {
            GgufWriter writer = GgufWriter.create(target).putAll(file.metadata()).put("tokenizer.chat_template", template);
            for (TensorInfo t : file.tensors()) {
                writer.addTensor(t.name(), t.type(), t.dims(), file.data(t));
            }
            return writer.write();
        }
    }

    private static int[] ints(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).mapToInt(JsonNode::asInt).toArray();
    }
}
