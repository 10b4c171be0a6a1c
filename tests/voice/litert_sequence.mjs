#!/usr/bin/env node
// tests/voice/litert_sequence.mjs ORACLE_DIR MODEL.tflite FRAMES.bin OUT.bin [--output0 T]
//
// TensorFlow Lite's answers for a stateful model (resource variables: VAR_HANDLE, READ_VARIABLE,
// ASSIGN_VARIABLE, CALL_ONCE's initialisation) over a sequence: FRAMES.bin holds consecutive
// inputs of the model's one input tensor (its stored size each); the model is compiled once and
// invoked once per input in order, so its variables carry over from invoke to invoke as they do
// in TensorFlow Lite's interpreter; OUT.bin gets output 0's bytes of every invoke, in order.
// LiteRT.js from ORACLE_DIR (a copy of ../shared/oracle after its setup.sh). --output0 T: run a
// copy of the model whose output 0 is tensor T (the oracle's patchOutput0), to see an
// intermediate tensor of every invoke.
import fs from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
const o0 = args.indexOf('--output0');
const output0 = o0 >= 0 ? Number(args.splice(o0, 2)[1]) : null;
const [oracle, model, framesPath, outPath] = args;
if (!outPath) {
  console.error('usage: litert_sequence.mjs ORACLE_DIR MODEL FRAMES.bin OUT.bin');
  process.exit(2);
}
const L = await import(path.resolve(oracle, 'litert_node.mjs'));
const {parseTflite, patchOutput0, TYPE_SIZE} = await import(path.resolve(oracle, 'tflite_fb.mjs'));
const LR_ET = {FLOAT32: 1, INT32: 2, UINT8: 3, INT64: 4, BOOL: 6, INT16: 7, INT8: 9};

const buf = output0 === null ? fs.readFileSync(model) : patchOutput0(fs.readFileSync(model), output0).buf;
const sg = parseTflite(buf).subgraphs[0];
if (sg.inputs.length !== 1) throw new Error(`${model}: ${sg.inputs.length} inputs, one expected`);
const t = sg.tensors[sg.inputs[0]];
const size = t.shape.reduce((a, b) => a * b, 1) * TYPE_SIZE[t.type];
const frames = fs.readFileSync(framesPath);
if (!size || frames.length % size) throw new Error(`${framesPath}: not a whole number of ${size}-byte inputs`);
const lr = await L.init();
const compiled = await lr.loadAndCompile(new Uint8Array(buf), {accelerator: 'wasm'});
const outs = [];
for (let at = 0; at < frames.length; at += size) {
  const input = L.tensorFromBytes(lr, new Uint8Array(frames.subarray(at, at + size)), t.shape, LR_ET[t.type]);
  const o = await compiled.run([input]);
  outs.push(L.tensorBytes(lr, o[0]));
  o.forEach((x) => x.delete());
  input.delete();
}
compiled.delete();
fs.writeFileSync(outPath, Buffer.concat(outs));
console.error(`litert: ${outs.length} invokes of ${path.basename(model)}, ${Buffer.concat(outs).length} output bytes`);
