// Times llama.cpp on a GGUF file the way Petrel's `bench` command times itself: prompt
// processing (pp: N random tokens evaluated as one batch) and generation (tg: N tokens one
// at a time), each from an empty context, repeated; prints one JSON object.
//
//   node bench.mjs MODEL.gguf [--threads N] [--pp 256] [--tg 64] [--repetitions 3]

import {readFileSync} from "node:fs";
import {createRequire} from "node:module";
import {getLlama, LlamaLogLevel} from "node-llama-cpp";

for (const name of ["log", "info", "debug", "warn", "trace"]) {
    console[name] = (...args) => console.error(...args);
}

const argv = process.argv.slice(2);
const options = {threads: 0, pp: 256, tg: 64, repetitions: 3};
let modelPath;
for (let i = 0; i < argv.length; i++) {
    const key = argv[i].replace(/^--/, "");
    if (argv[i].startsWith("--") && key in options)
        options[key] = Number.parseInt(argv[++i], 10);
    else if (!modelPath)
        modelPath = argv[i];
    else
        throw new Error(`unexpected argument: ${argv[i]}`);
}
if (!modelPath)
    throw new Error("usage: node bench.mjs MODEL.gguf [--threads N] [--pp 256] [--tg 64] [--repetitions 3]");

const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error});
const threads = options.threads > 0 ? options.threads : llama.cpuMathCores;
const model = await llama.loadModel({modelPath, gpuLayers: 0});
const context = await model.createContext({
    contextSize: options.pp + options.tg + 16,
    batchSize: options.pp,
    sequences: 1,
    threads: {ideal: threads, min: threads},
    flashAttention: false
});
const sequence = context.getSequence();
let seed = 42;
function randomToken() { // a small LCG: the same tokens every run
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % 1000;
}

async function measure(count, batch) {
    await sequence.clearHistory();
    const start = process.hrtime.bigint();
    for (let done = 0; done < count; done += batch) {
        const n = Math.min(batch, count - done);
        const input = [];
        for (let i = 0; i < n; i++)
            input.push(i === n - 1 ? [randomToken(), {generateNext: {token: true, options: {temperature: 0}}}] : randomToken());
        await sequence.controlledEvaluate(input);
    }
    return count * 1e9 / Number(process.hrtime.bigint() - start);
}

// The package's own version, read from its package.json (not an exported subpath).
function packageVersion() {
    const main = createRequire(import.meta.url).resolve("node-llama-cpp");
    const root = main.slice(0, main.lastIndexOf("node_modules/node-llama-cpp/") + "node_modules/node-llama-cpp/".length);
    return JSON.parse(readFileSync(root + "package.json", "utf8")).version;
}

// Warm-up, not counted: one whole round, as Petrel's bench does (there the JIT compiles its
// kernels while they first run; here it maps the weights and sizes the compute buffers).
await measure(options.pp, options.pp);
await measure(options.tg, 1);
const pp = [], tg = [];
for (let r = 0; r < options.repetitions; r++) {
    pp.push(await measure(options.pp, options.pp));
    tg.push(await measure(options.tg, 1));
}
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
process.stdout.write(JSON.stringify({
    engine: "llama.cpp (node-llama-cpp " + packageVersion() + ")",
    threads: context.currentThreads,
    pp_tokens: options.pp, tg_tokens: options.tg,
    pp_tokens_per_s: mean(pp), tg_tokens_per_s: mean(tg)
}) + "\n");
await context.dispose();
await model.dispose();
