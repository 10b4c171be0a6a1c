#!/usr/bin/env node
// bench/wake_litert.mjs - bench-wake's anchor: the wake-word pipelines on TensorFlow Lite
// (LiteRT.js from a set-up copy of ../shared/oracle), streamed in real time order, timed in CPU
// seconds of this process per second of audio (issue 47).
//
//   node wake_litert.mjs oww ORACLE_DIR OWW_DIR WAV MODEL MIN_SECONDS
//     openWakeWord: tests/voice/oww_oracle.mjs's pipeline (the melspectrogram model on each
//     80 ms chunk, the embedding model, the classifier MODEL), WAV streamed again and again.
//   node wake_litert.mjs mww ORACLE_DIR MODEL.tflite FEATURES.bin MIN_SECONDS
//     microWakeWord: the streaming model invoked frame by frame on FEATURES.bin (int8 feature
//     frames of 40 channels, 10 ms each, computed by edged's C front end: bench-wake writes
//     them), STRIDE frames per invoke (the input's dims[1]); LiteRT.js keeps the model's
//     resource variables between invokes of one compiled model (its state streams).
// Prints one line: "cpu_s C audio_s A invokes N" (the loop only: the load and the compile are
// left out), or "LITERT_ERROR why" and exit 1.
import fs from 'node:fs';
import path from 'node:path';
import {pathToFileURL, fileURLToPath} from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };

async function oww(oracle, owwDir, wav, model, minS) {
  const {owwOpen, readWav, CHUNK} = await import(pathToFileURL(path.join(here, '../tests/voice/oww_oracle.mjs')).href);
  const p = await owwOpen(oracle, owwDir, [model]);
  const pcm = readWav(wav);
  const usable = pcm.length - (pcm.length % CHUNK);
  let s = p.stream();
  await s.chunk(pcm.subarray(0, CHUNK)); // warm up (first-call costs)
  s = p.stream();
  let audio = 0, n = 0;
  const t0 = cpu();
  while (cpu() - t0 < minS || audio < 10) {
    for (let at = 0; at < usable; at += CHUNK, n++) await s.chunk(pcm.subarray(at, at + CHUNK));
    audio += usable / 16000;
  }
  return {cpu: cpu() - t0, audio, n};
}

async function mww(oracle, modelPath, featPath, minS) {
  const L = await import(pathToFileURL(path.join(oracle, 'litert_node.mjs')).href);
  const lr = await L.init();
  const compiled = await lr.loadAndCompile(new Uint8Array(fs.readFileSync(modelPath)), {accelerator: 'wasm'});
  const io = L.signatureIO(compiled);
  const shape = io.inputs[0].shape, stride = shape[1], ch = shape[2];
  const feats = new Uint8Array(fs.readFileSync(featPath));
  const frames = Math.floor(feats.length / ch), usable = frames - (frames % stride);
  const step = async (at) => {
    const t = L.tensorFromBytes(lr, feats.subarray(at * ch, (at + stride) * ch), [1, stride, ch], L.ET.INT8);
    const outs = await compiled.run([t]);
    L.tensorBytes(lr, outs[0]); // read the probability, as a caller does
    outs.forEach((o) => o.delete());
    t.delete();
  };
  await step(0);
  let audio = 0, n = 0;
  const t0 = cpu();
  while (cpu() - t0 < minS || audio < 10) {
    for (let at = 0; at < usable; at += stride, n++) await step(at);
    audio += usable / 100;
  }
  compiled.delete();
  return {cpu: cpu() - t0, audio, n};
}

const [kind, ...a] = process.argv.slice(2);
try {
  const warn = console.warn; console.warn = () => {};
  const r = kind === 'oww' ? await oww(a[0], a[1], a[2], a[3], Number(a[4]))
    : kind === 'mww' ? await mww(a[0], a[1], a[2], Number(a[3]))
    : (() => { throw new Error(`unknown pipeline '${kind}' (oww or mww)`); })();
  console.warn = warn;
  console.log(`cpu_s ${r.cpu.toFixed(4)} audio_s ${r.audio.toFixed(3)} invokes ${r.n}`);
} catch (e) {
  console.log(`LITERT_ERROR ${e.message}`);
  process.exit(1);
}
