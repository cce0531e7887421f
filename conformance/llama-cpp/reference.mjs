// llama.cpp as a numerical reference for Petrel's conformance tests.
//
// Runs the prebuilt CPU llama.cpp that node-llama-cpp ships and answers requests, one JSON
// object per line on standard input, with one JSON object per line on standard output.
// Everything else (llama.cpp's log, node-llama-cpp's warnings) goes to standard error, so
// standard output carries only replies. Models stay loaded between requests; requests are
// answered one at a time, in order.
//
//   node reference.mjs [--threads N] [--log-level error|warn|info|debug]
//
// First line written: {"ready":true, ...versions...}. Then, for each request
// {"id":N,"op":OP,...} one reply {"id":N,"ok":true,...} or {"id":N,"ok":false,"error":"..."}.
//
// Ops (token ids are plain integers; no BOS is ever added):
//   load       {path, contextSize=512, batchSize, threads, kvType="F32", flashAttention=false}
//              -> {handle, contextSize, trainContextSize, embeddingSize, bos, eos, description}
//   unload     {handle}
//   tokenize   {handle, text, special=false}            -> {ids}
//   detokenize {handle, ids, special=false}             -> {text}
//   generate   {handle, prompt:[ids], steps, topK=10, full=false, stopAt=[]}
//              greedy decoding, one token per step after the prompt is evaluated as a batch
//              -> {ids:[generated], steps:[{token, top:[ids], logits:[values], all?:[...]}]}
//              steps[i] is the distribution the i-th generated id was chosen from.
//   evaluate   {handle, ids:[...], topK=10, full=false, from=0}
//              teacher forcing: the ids are evaluated as one batch
//              -> {positions:[{token, top, logits, all?}]}, positions[j] being the
//                 distribution over the id that follows ids[from + j]
//   ping       -> {}
//   shutdown   -> {} and the process exits
//
// "top"/"logits" list the topK highest raw logits, highest first (ties by lower id);
// "token" is llama.cpp's own greedy choice; "all" (when full) is every logit, by id.

import {readFileSync} from "node:fs";
import {createInterface} from "node:readline";
import {getLlama, LlamaLogLevel} from "node-llama-cpp";

// Replies own standard output: send every console message to standard error.
for (const name of ["log", "info", "debug", "warn", "trace"]) {
    console[name] = (...args) => console.error(...args);
}

function parseArgs(argv) {
    const options = {threads: 0, logLevel: "warn"};
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (arg === "--threads")
            options.threads = Number.parseInt(argv[++i], 10);
        else if (arg === "--log-level")
            options.logLevel = argv[++i];
        else
            throw new Error(`unknown argument: ${arg}`);
    }
    return options;
}

const options = parseArgs(process.argv.slice(2));

function write(object) {
    process.stdout.write(JSON.stringify(object) + "\n");
}

const logLevels = {
    error: LlamaLogLevel.error,
    warn: LlamaLogLevel.warn,
    info: LlamaLogLevel.info,
    debug: LlamaLogLevel.debug
};

const llama = await getLlama({
    gpu: false,
    build: "never",
    progressLogs: false,
    maxThreads: 0, // the thread count a context asks for is the one it gets
    logLevel: logLevels[options.logLevel] ?? LlamaLogLevel.warn,
    logger(level, message) {
        process.stderr.write(`[llama.cpp ${level}] ${message.endsWith("\n") ? message : message + "\n"}`);
    }
});

const defaultThreads = options.threads > 0 ? options.threads : llama.cpuMathCores;
const models = new Map(); // handle -> {model, context, sequence, contextSize}
let nextHandle = 1;

function requireInt(value, name, min = 0) {
    if (!Number.isInteger(value) || value < min)
        throw new Error(`'${name}' must be an integer >= ${min}, got ${JSON.stringify(value)}`);
    return value;
}

function requireIds(value, name) {
    if (!Array.isArray(value))
        throw new Error(`'${name}' must be an array of token ids`);
    value.forEach((id, i) => requireInt(id, `${name}[${i}]`));
    return value;
}

function loaded(request) {
    const entry = models.get(request.handle);
    if (entry == null)
        throw new Error(`no model loaded with handle ${JSON.stringify(request.handle)}`);
    return entry;
}

function checkFits(entry, count) {
    if (count > entry.contextSize)
        throw new Error(`${count} tokens do not fit the context of ${entry.contextSize}; load with a larger contextSize`);
}

// The generateNext options that return raw logits: llama.cpp's greedy token plus either the
// top-K (sorted by llama.cpp) or the whole vocabulary.
function nextOptions(topK, full) {
    return {
        token: true,
        logits: full ? true : {filter: {includeTop: topK}},
        options: {temperature: 0}
    };
}

function describe(output, topK, full) {
    const next = output?.next;
    if (next == null || next.logits == null)
        throw new Error("llama.cpp returned no logits for a position that asked for them");
    const pairs = [...next.logits.entries()];
    pairs.sort((a, b) => (b[1] - a[1]) || (a[0] - b[0]));
    const top = pairs.slice(0, topK);
    const result = {
        token: next.token,
        top: top.map(([id]) => id),
        logits: top.map(([, value]) => value)
    };
    if (full) {
        const all = new Array(pairs.length).fill(null);
        for (const [id, value] of pairs) {
            if (id >= all.length)
                all.length = id + 1;
            all[id] = value;
        }
        result.all = all;
    }
    return result;
}

const ops = {
    async ping() {
        return {};
    },

    async load(request) {
        if (typeof request.path !== "string")
            throw new Error("'path' must name a GGUF file");
        const contextSize = requireInt(request.contextSize ?? 512, "contextSize", 1);
        const batchSize = requireInt(request.batchSize ?? Math.min(512, contextSize), "batchSize", 1);
        const threads = requireInt(request.threads ?? defaultThreads, "threads", 1);
        const kvType = request.kvType ?? "F32";
        const flashAttention = request.flashAttention ?? false;
        const model = await llama.loadModel({
            modelPath: request.path,
            gpuLayers: 0,
            defaultContextFlashAttention: flashAttention,
            experimentalDefaultContextKvCacheKeyType: kvType,
            experimentalDefaultContextKvCacheValueType: kvType
        });
        let context;
        try {
            context = await model.createContext({
                contextSize,
                batchSize,
                sequences: 1,
                threads: {ideal: threads, min: threads},
                flashAttention,
                experimentalKvCacheKeyType: kvType,
                experimentalKvCacheValueType: kvType,
                failedCreationRemedy: false
            });
        } catch (e) {
            await model.dispose();
            throw e;
        }
        const sequence = context.getSequence();
        const handle = `m${nextHandle++}`;
        models.set(handle, {model, context, sequence, contextSize: context.contextSize});
        return {
            handle,
            contextSize: context.contextSize,
            batchSize: context.batchSize,
            threads: context.currentThreads,
            flashAttention: context.flashAttention,
            trainContextSize: model.trainContextSize,
            embeddingSize: model.embeddingVectorSize,
            bos: model.tokens.bos,
            eos: model.tokens.eos,
            description: model.typeDescription
        };
    },

    async unload(request) {
        const entry = loaded(request);
        models.delete(request.handle);
        await entry.context.dispose();
        await entry.model.dispose();
        return {};
    },

    async tokenize(request) {
        const {model} = loaded(request);
        if (typeof request.text !== "string")
            throw new Error("'text' must be a string");
        return {ids: model.tokenize(request.text, request.special === true)};
    },

    async detokenize(request) {
        const {model} = loaded(request);
        return {text: model.detokenize(requireIds(request.ids, "ids"), request.special === true)};
    },

    async generate(request) {
        const entry = loaded(request);
        const prompt = requireIds(request.prompt, "prompt");
        const steps = requireInt(request.steps, "steps");
        const topK = requireInt(request.topK ?? 10, "topK", 1);
        const full = request.full === true;
        const stopAt = new Set(requireIds(request.stopAt ?? [], "stopAt"));
        if (prompt.length === 0)
            throw new Error("'prompt' must hold at least one id");
        checkFits(entry, prompt.length + steps);
        const {sequence} = entry;
        await sequence.clearHistory();

        const ids = [];
        const described = [];
        let input = prompt.map((id, i) => i === prompt.length - 1 ? [id, {generateNext: nextOptions(topK, full)}] : id);
        while (ids.length < steps) {
            const outputs = await sequence.controlledEvaluate(input, {contextShift: {size: 0, strategy: failOnShift}});
            const step = describe(outputs[input.length - 1], topK, full);
            if (step.token == null)
                throw new Error(`llama.cpp selected no token at step ${ids.length}`);
            described.push(step);
            ids.push(step.token);
            if (stopAt.has(step.token))
                break;
            input = [[step.token, {generateNext: nextOptions(topK, full)}]];
        }
        return {ids, steps: described};
    },

    async evaluate(request) {
        const entry = loaded(request);
        const ids = requireIds(request.ids, "ids");
        const topK = requireInt(request.topK ?? 10, "topK", 1);
        const full = request.full === true;
        const from = requireInt(request.from ?? 0, "from");
        if (ids.length === 0 || from >= ids.length)
            throw new Error(`'ids' must hold more than 'from' (${from}) ids`);
        checkFits(entry, ids.length);
        const {sequence} = entry;
        await sequence.clearHistory();
        const input = ids.map((id, i) => i >= from ? [id, {generateNext: nextOptions(topK, full)}] : id);
        const outputs = await sequence.controlledEvaluate(input, {contextShift: {size: 0, strategy: failOnShift}});
        const positions = [];
        for (let i = from; i < ids.length; i++)
            positions.push(describe(outputs[i], topK, full));
        return {positions};
    }
};

// A context shift would silently drop the start of the sequence; requests are checked to fit,
// so reaching this is a bug.
function failOnShift() {
    throw new Error("the context is full: the reference never shifts the context");
}

async function answer(line) {
    let request;
    try {
        request = JSON.parse(line);
    } catch (e) {
        write({id: null, ok: false, error: `not JSON: ${e.message}`});
        return;
    }
    const id = request.id ?? null;
    if (request.op === "shutdown") {
        write({id, ok: true});
        await shutdown(0);
        return;
    }
    const op = ops[request.op];
    if (op == null) {
        write({id, ok: false, error: `unknown op ${JSON.stringify(request.op)}`});
        return;
    }
    try {
        write({id, ok: true, ...(await op(request))});
    } catch (e) {
        write({id, ok: false, error: e?.message ?? String(e)});
    }
}

async function shutdown(code) {
    for (const entry of models.values()) {
        await entry.context.dispose().catch(() => {});
        await entry.model.dispose().catch(() => {});
    }
    models.clear();
    await llama.dispose().catch(() => {});
    process.exit(code);
}

let queue = Promise.resolve();
const lines = createInterface({input: process.stdin, crlfDelay: Infinity});
lines.on("line", line => {
    if (line.trim() !== "")
        queue = queue.then(() => answer(line));
});
lines.on("close", () => {
    queue = queue.then(() => shutdown(0));
});

function packageVersion() {
    try {
        const url = new URL("../package.json", import.meta.resolve("node-llama-cpp"));
        return JSON.parse(readFileSync(url, "utf8")).version;
    } catch {
        return null;
    }
}

write({
    ready: true,
    nodeLlamaCpp: packageVersion(),
    llamaCppRelease: llama.llamaCppRelease?.release ?? null,
    buildType: llama.buildType,
    gpu: llama.gpu,
    cpuMathCores: llama.cpuMathCores,
    threads: defaultThreads,
    node: process.version
});
