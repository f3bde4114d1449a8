// Runs ONNX models in ONNX Runtime (onnxruntime-node), for tests/models/onnx_interop_test.ts.
//
// Usage: node tests/onnx_run.mjs MANIFEST.json   (onnxruntime-node on NODE_PATH)
//        node tests/onnx_run.mjs --version       prints onnxruntime-node's version
//
// MANIFEST is a list of jobs {"model", "chunks", "out"}: each chunk ((N, T) word ids) is run in
// turn, the first without h0/c0 (the model's default, zeros), each later one with the previous
// run's hn/cn fed back as h0/c0 — as saiki's stateful layers carry the state. Writes `out`
// (JSON): {"logits": [[...flat (N, T, V)], ...], "hn": [...], "cn": [...] (LSTM), "dims": {...}}.
// Prints one line per job; exit 1 with the job's model and the error when one fails.

import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const ort = require("onnxruntime-node");

if (process.argv[2] === "--version") {
  console.log(ort.env.versions.node ?? ort.env.versions.common);
  process.exit(0);
}

const jobs = JSON.parse(readFileSync(process.argv[2], "utf8"));
for (const job of jobs) {
  try {
    const session = await ort.InferenceSession.create(job.model);
    const logits = [];
    let state = {};
    const { L, H } = job;
    for (const chunk of job.chunks) {
      const N = chunk.length, T = chunk[0].length;
      const ids = new ort.Tensor("int64", BigInt64Array.from(chunk.flat(), BigInt), [N, T]);
      const zeros = () => new ort.Tensor("float32", new Float32Array(L * N * H), [L, N, H]);
      const feeds = { ids };
      for (const name of session.inputNames.filter((n) => n !== "ids")) {
        feeds[name] = state[name] ?? zeros();
      }
      const out = await session.run(feeds);
      logits.push(Array.from(out.logits.data));
      state = { h0: out.hn };
      if (out.cn !== undefined) state.c0 = out.cn;
      job.dims = { logits: out.logits.dims, hn: out.hn.dims };
    }
    const result = { logits, hn: Array.from(state.h0.data), dims: job.dims };
    if (state.c0 !== undefined) result.cn = Array.from(state.c0.data);
    writeFileSync(job.out, JSON.stringify(result));
    console.log(`${job.model}: ${job.chunks.length} chunks, inputs ${session.inputNames}`);
  } catch (e) {
    console.error(`${job.model}: ${e?.stack ?? e}`);
    process.exit(1);
  }
}
