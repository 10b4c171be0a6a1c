#!/usr/bin/env node
// tests/voice/litert_resized.mjs ORACLE_DIR MODEL.tflite INPUT=D0xD1x... OUTPUT=E0xE1x... IN0.bin [IN1.bin ...] OUT.bin
//
// TensorFlow Lite's answer for MODEL with input INPUT resized to [D0, D1, ...], as
// Interpreter::ResizeInputTensor then AllocateTensors gives it. The oracle (ORACLE_DIR: a copy of
// ../shared/oracle after its setup.sh) feeds a model its stored shapes, so this writes a copy of
// the model whose input tensor is stored with the new shape (the shape vector rewritten in place:
// same rank, so same length) and runs that: TensorFlow Lite's AllocateTensors derives every other
// tensor's shape again from the inputs in each operator's Prepare, exactly what it does after
// ResizeInputTensor, so the stored shapes of the other tensors do not matter. LiteRT.js's compiled
// model allocates its output buffers from the output tensor's stored shape, so OUTPUT=E0xE1..
// stores output OUTPUT's shape too (what TensorFlow Lite must derive: a smaller one makes it
// write past the buffer, which LiteRT.js reports as "memory access out of bounds"; a larger one
// differs in size from edged's answer, which the test compares byte for byte in length).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const [oracle, model, spec, ospec, ...rest] = process.argv.slice(2);
if (!oracle || !model || !spec || !ospec || rest.length < 2) {
  console.error('usage: litert_resized.mjs ORACLE_DIR MODEL INPUT=D0xD1.. OUTPUT=E0xE1.. IN0.bin [...] OUT.bin');
  process.exit(2);
}
const parse = (t) => { const [w, d] = t.split('='); return [Number(w), d.split('x').map(Number)]; };

const buf = Buffer.from(fs.readFileSync(model));
const u32 = (o) => buf.readUInt32LE(o);
const field = (t, id) => { // offset of field ID of the table at T, 0 when absent
  const vt = t - buf.readInt32LE(t);
  const len = buf.readUInt16LE(vt);
  const fo = 4 + 2 * id < len ? buf.readUInt16LE(vt + 4 + 2 * id) : 0;
  return fo ? t + fo : 0;
};
const ref = (o) => o + u32(o);
const vec = (t, id) => { const f = field(t, id); if (!f) return null; const v = ref(f); return {at: v + 4, n: u32(v)}; };
const subgraphs = vec(u32(0), 2);
const sg = ref(subgraphs.at);
const tensors = vec(sg, 0);
const tensorAt = (i) => ref(tensors.at + 4 * i);
const store = (listField, [which, dims]) => { // tensor WHICH of the list gets shape DIMS
  const list = vec(sg, listField);
  const ti = buf.readInt32LE(list.at + 4 * which);
  const shape = vec(tensorAt(ti), 0);
  if (shape.n !== dims.length) throw new Error(`tensor ${ti} has rank ${shape.n}, ${dims.length} dims given`);
  for (let i = 0; i < tensors.n; i++) { // a shape vector shared with another tensor would change it too
    const s = vec(tensorAt(i), 0);
    if (i !== ti && s && s.at === shape.at) throw new Error(`tensor ${i} shares tensor ${ti}'s shape vector`);
  }
  dims.forEach((d, i) => buf.writeInt32LE(d, shape.at + 4 * i));
};
const [which, dims] = parse(spec);
store(1, [which, dims]);
store(2, parse(ospec));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'litert-resized-'));
const patched = path.join(tmp, 'model.tflite');
fs.writeFileSync(patched, buf);
const {runLitert} = await import(path.resolve(oracle, 'run_litert.mjs'));
const ins = rest.slice(0, -1).map((f) => fs.readFileSync(f));
const r = await runLitert(patched, ins);
fs.writeFileSync(rest[rest.length - 1], Buffer.concat(r.outputs));
fs.rmSync(tmp, {recursive: true});
console.error(`litert (input ${which} as [${dims}]): outputs ${r.info.outputs.map((o) => '[' + o.shape + ']').join(' ')}`);
