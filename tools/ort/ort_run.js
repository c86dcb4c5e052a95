#!/usr/bin/env node
// Runs an ONNX model with ONNX Runtime (the reference engine; never a dependency of edgezoo).
// Usage: node ort_run.js MODEL --input NAME=file.npy ... --output-dir DIR [--threads N] [--bench RUNS]
//        [--opt-level disabled|basic|extended|all]   (graph optimizations, default all)
//        node ort_run.js MODEL --batch-dir IN --output-dir DIR   (one-input models: every IN/*.npy,
//        outputs to DIR/<stem>/<output name>.npy, one session for all)
// Writes DIR/<output name>.npy (names made file-safe as edgezoo does). With --bench RUNS it also
// prints {"median_ms": ...} after a warm-up run.
'use strict';
const path = require('path');
const fs = require('fs');
const { readNpy, writeNpy } = require('./npy');

function loadOrt() {
  const root = process.env.EDGEZOO_ORT_DIR || path.join(__dirname, '..', '..', 'third_party_npm', 'node_modules');
  return require(path.join(root, 'onnxruntime-node'));
}

async function main() {
  const args = process.argv.slice(2);
  const model = args[0];
  const inputs = {};
  let outDir = null, threads = 1, bench = 0, batchDir = null, optLevel = 'all';
  for (let i = 1; i < args.length; i++) {
    if (args[i] === '--input') { const [n, f] = args[++i].split(/=(.*)/s); inputs[n] = f; }
    else if (args[i] === '--output-dir') outDir = args[++i];
    else if (args[i] === '--threads') threads = Number(args[++i]);
    else if (args[i] === '--bench') bench = Number(args[++i]);
    else if (args[i] === '--batch-dir') batchDir = args[++i];
    else if (args[i] === '--opt-level') optLevel = args[++i];
    else throw new Error(`unknown argument ${args[i]}`);
  }
  const ort = loadOrt();
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: optLevel,
  });
  const writeOutputs = (result, dir) => {
    fs.mkdirSync(dir, { recursive: true });
    for (const name of session.outputNames) {
      const o = result[name];
      writeNpy(path.join(dir, name.replace(/[^A-Za-z0-9_.-]/g, '_') + '.npy'), o.type, o.dims, o.data);
    }
  };
  if (batchDir) {
    for (const f of fs.readdirSync(batchDir).filter(f => f.endsWith('.npy')).sort()) {
      const t = readNpy(path.join(batchDir, f));
      const result = await session.run({ [session.inputNames[0]]: new ort.Tensor(t.type, t.data, t.dims) });
      writeOutputs(result, path.join(outDir, f.slice(0, -4)));
    }
    return;
  }
  const feeds = {};
  for (const name of session.inputNames) {
    if (!inputs[name]) throw new Error(`no --input for model input '${name}'`);
    const t = readNpy(inputs[name]);
    feeds[name] = new ort.Tensor(t.type, t.data, t.dims);
  }
  const result = await session.run(feeds);
  if (outDir) writeOutputs(result, outDir);
  if (bench > 0) {
    const times = [];
    for (let r = 0; r < bench; r++) {
      const t0 = process.hrtime.bigint();
      await session.run(feeds);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    times.sort((a, b) => a - b);
    console.log(JSON.stringify({ median_ms: times[Math.floor(times.length / 2)], min_ms: times[0], runs: bench }));
  }
}

main().catch(e => { console.error(`ort_run: ${e.message}`); process.exit(1); });
