package dev.petrel.itests.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.petrel.api.weights.TensorType;
import dev.petrel.loader.gguf.GgufWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code ./petrel} launcher, run as a user runs it: one command per process, its
 * result on standard output, errors on standard error, and the exit status.
 */
class PetrelCommandLineTest {

    private static final Path VOCABS = testData().resolve("tokenizers/gguf-vocab");

    @TempDir
    Path temp;

    @Test
    void backendList_namesBothJavaBackendsHighestRankingFirst() throws Exception {
        Launcher.Run run = petrel("backend", "list");
        assertEquals(0, run.status(), run.stderr());
        String[] lines = run.stdout().split("\n");
        assertTrue(lines.length >= 4, run.stdout());
        assertTrue(lines[1].trim().startsWith("java ") && lines[1].contains(" 100 "), run.stdout());
        assertTrue(lines[2].trim().startsWith("java-scalar ") && lines[2].contains(" 10 "), run.stdout());
        assertTrue(run.stdout().contains("chosen by service.ranking"), run.stdout());
        Launcher.Run wrong = petrel("backend", "swap");
        assertEquals(2, wrong.status(), wrong.stdout());
        assertTrue(wrong.stderr().contains("usage: backend list"), wrong.stderr());
    }

    @Test
    void tokenizeJson_printsExactlyOneObjectWithTheReferenceIds() throws Exception {
        // The last llama.cpp case holds quotes, backquotes, emoji and runs of spaces:
        // the text must reach the command untouched.
        Path vocab = VOCABS.resolve("ggml-vocab-llama-spm.gguf");
        List<String> inputs = cases(vocab);
        List<String> outputs = Files.readAllLines(Path.of(vocab + ".out"));
        int last = outputs.size() - 1;
        Launcher.Run run = petrel("tokenize", "--model", vocab.toString(), "--json", inputs.get(last));
        assertEquals(0, run.status(), run.stderr());
        assertEquals("{\"ids\":[" + String.join(",", outputs.get(last).trim().split(" +")) + "]}\n", run.stdout());
    }

    @Test
    void tokenize_readsTextFilesAndHuggingFaceFolders() throws Exception {
        Path text = Files.writeString(temp.resolve("text.txt"), "Hello world", StandardCharsets.UTF_8);
        Launcher.Run run = petrel("tokenize", "--model", testData().resolve("tokenizers/hf-llama3").toString(),
                "--text-file", text.toString(), "--json");
        assertEquals(0, run.status(), run.stderr());
        assertEquals("{\"ids\":[9906,1917]}\n", run.stdout());
    }

    @Test
    void tokenizeAddSpecial_addsTheModelsBos() throws Exception {
        Launcher.Run run = petrel("tokenize", "--model", VOCABS.resolve("ggml-vocab-llama-spm.gguf").toString(),
                "--add-special", "--json", "Hello world");
        assertEquals(0, run.status(), run.stderr());
        assertEquals("{\"ids\":[1,15043,3186]}\n", run.stdout());
    }

    @Test
    void tokenize_withoutJsonPrintsATableOfPieces() throws Exception {
        Launcher.Run run = petrel("tokenize", "--model", VOCABS.resolve("ggml-vocab-gpt-2.gguf").toString(), "Hello world");
        assertEquals(0, run.status(), run.stderr());
        assertTrue(run.stdout().contains("15496  'Hello'"), run.stdout());
        assertTrue(run.stdout().contains("995  'Ġworld'"), run.stdout());
        assertTrue(run.stdout().contains("2 tokens"), run.stdout());
    }

    @Test
    void inspect_showsMetadataAndTheTensorTable() throws Exception {
        Path model = GgufWriter.create(temp.resolve("tiny.gguf"))
                .put("general.architecture", "llama")
                .putUint32("llama.block_count", 1)
                .putStrings("tokenizer.ggml.tokens", List.of("<unk>", "<s>", "</s>", "a", "b", "c", "d", "e", "f", "g"))
                .addTensor("token_embd.weight", new long[] {4, 10}, new float[40])
                .addTensor("blk.0.attn_q.weight", TensorType.Q8_0, new long[] {32, 2}, new byte[68])
                .write();
        Launcher.Run run = petrel("inspect", model.toString());
        assertEquals(0, run.status(), run.stderr());
        assertTrue(run.stdout().contains("general.architecture = \"llama\""), run.stdout());
        assertTrue(run.stdout().contains("llama.block_count = 1"), run.stdout());
        assertTrue(run.stdout().contains("(10 strings)"), run.stdout());
        assertTrue(run.stdout().matches("(?s).*token_embd\\.weight\\s+F32\\s+\\[4, 10]\\s+160\n.*"), run.stdout());
        assertTrue(run.stdout().matches("(?s).*blk\\.0\\.attn_q\\.weight\\s+Q8_0\\s+\\[32, 2]\\s+68\n.*"), run.stdout());
    }

    @Test
    void inspect_damagedFileFailsWithTheFileAndField() throws Exception {
        byte[] valid = Files.readAllBytes(VOCABS.resolve("ggml-vocab-gpt-2.gguf"));
        Path damaged = Files.write(temp.resolve("damaged.gguf"), Arrays.copyOf(valid, 1000));
        Launcher.Run run = petrel("inspect", damaged.toString());
        assertEquals(1, run.status());
        assertEquals("", run.stdout());
        assertTrue(run.stderr().contains("damaged.gguf"), run.stderr());
        assertTrue(run.stderr().contains("tokenizer.ggml.tokens"), run.stderr());
        assertFalse(run.stderr().contains("\tat "), "no stack trace expected: " + run.stderr());
    }

    @Test
    void missingModel_failsNamingIt() throws Exception {
        Launcher.Run run = petrel("tokenize", "--model", temp.resolve("nope.gguf").toString(), "hi");
        assertEquals(1, run.status());
        assertTrue(run.stderr().contains("nope.gguf") && run.stderr().contains("no such file"), run.stderr());
    }

    @Test
    void wrongUsage_exitsWithStatus2() throws Exception {
        Launcher.Run unknown = petrel("no-such-command");
        assertEquals(2, unknown.status());
        assertTrue(unknown.stderr().contains("unknown command 'no-such-command'"), unknown.stderr());
        assertTrue(unknown.stderr().contains("tokenize"), "the help lists the commands: " + unknown.stderr());

        Launcher.Run badOption = petrel("tokenize", "--modle", "x", "hi");
        assertEquals(2, badOption.status());
        assertTrue(badOption.stderr().contains("unknown option --modle"), badOption.stderr());
    }

    @Test
    void noArguments_opensTheInteractiveConsoleWithPetrelCommands() throws Exception {
        String model = testData().resolve("tokenizers/hf-llama3").toString();
        Launcher.Run run = petrelWithInput("petrel:tokenize --model '" + model + "' --json 'Hello world'\nlb\n");
        assertEquals(0, run.status(), run.stderr());
        assertTrue(run.stdout().contains("Welcome to Apache Felix Gogo"), run.stdout());
        assertTrue(run.stdout().contains("{\"ids\":[9906,1917]}"), run.stdout());
        assertTrue(run.stdout().matches("(?s).*Active .*Petrel tokenizers.*"), run.stdout());
    }

    private Launcher.Run petrel(String... args) throws IOException, InterruptedException {
        return Launcher.run(temp, args);
    }

    private Launcher.Run petrelWithInput(String input) throws IOException, InterruptedException {
        return Launcher.runWithInput(temp, input);
    }

    private static List<String> cases(Path vocab) throws IOException {
        return List.of(Files.readString(Path.of(vocab + ".inp")).split("\n__ggml_vocab_test__\n", -1));
    }

    private static Path testData() {
        return Launcher.testData();
    }
}
