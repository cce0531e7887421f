// llama.cpp's tokenizer on the same text as Petrel's tokenizer benchmark: for each GGUF
// vocabulary, loads it vocabulary-only, tokenizes the text (no special tokens) after a
// warm-up, and prints a table row with MB/s and the token count.
//
//   node tokenize-bench.mjs TEXT_FILE VOCAB.gguf [VOCAB.gguf ...]

import {readFileSync} from "node:fs";
import {basename} from "node:path";
import {getLlama, LlamaLogLevel} from "node-llama-cpp";

for (const name of ["log", "info", "debug", "warn", "trace"]) {
    console[name] = (...args) => console.error(...args);
}

const [textFile, ...vocabs] = process.argv.slice(2);
if (!textFile || vocabs.length === 0)
    throw new Error("usage: node tokenize-bench.mjs TEXT_FILE VOCAB.gguf [VOCAB.gguf ...]");
const text = readFileSync(textFile, "utf8");
const bytes = Buffer.byteLength(text, "utf8");
const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error});

process.stdout.write(`${"llama.cpp".padEnd(16)} ${"tokens".padStart(10)} ${"MB/s".padStart(10)}\n`);
for (const vocab of vocabs) {
    const model = await llama.loadModel({modelPath: vocab, vocabOnly: true});
    let tokens = model.tokenize(text, false).length; // warm-up
    const runs = 3;
    const start = process.hrtime.bigint();
    for (let i = 0; i < runs; i++)
        tokens = model.tokenize(text, false).length;
    const seconds = Number(process.hrtime.bigint() - start) / 1e9 / runs;
    const name = basename(vocab).replace("ggml-vocab-", "").replace(".gguf", "");
    process.stdout.write(`${name.padEnd(16)} ${tokens.toLocaleString("en-US").padStart(10)} ${(bytes / 1e6 / seconds).toFixed(2).padStart(10)}\n`);
    await model.dispose();
}
