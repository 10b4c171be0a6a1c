#!/usr/bin/env node
// tests/voice/oww_oracle.mjs - openWakeWord's streaming pipeline on TensorFlow Lite (LiteRT.js
// from ../shared/oracle), the oracle for edged's audio/oww.c (issue 47, Acceptance 2), and the
// LiteRT.js anchor the wake-word bench imports.
//
// The pipeline is openWakeWord's (openwakeword/utils.py AudioFeatures._streaming_features and
// model.py Model.predict) for audio fed in 80 ms chunks: the melspectrogram model on each
// 1280-sample chunk with the 480 samples before it (the first chunk alone), output x / 10 + 2,
// a mel buffer that starts as 76 frames of ones, one embedding per chunk from the last 76 mel
// frames, an embedding buffer that starts as the embedding of silence (openWakeWord: of random
// noise; silence so runs are reproducible, as audio/oww.c does), each classifier over its last N
// embeddings, its first 5 scores reported as 0.
//
// Library use:  import {owwOpen} from './oww_oracle.mjs';
//   const p = await owwOpen(ORACLE_DIR, OWW_DIR, ['alexa_v0.1', ...]);
//   const s = p.stream(); for each 1280-sample Int16Array chunk: s.chunk(pcm) -> {name: score}
// Command line:
//   node oww_oracle.mjs --scores OWW_DIR WAV [MODEL...]       prints "chunk model score" lines
//   node oww_oracle.mjs --compare PROGRAM OWW_DIR WAV... [--tol 1e-4] [--emb-tol 1e-5]
//       runs `PROGRAM --scores OWW_DIR WAV` (edged's pipeline, same output) and compares every
//       score of every openWakeWord classifier in OWW_DIR (within TOL) and every chunk's
//       embedding (within EMB_TOL of its largest element); exit 0 when all are.
// The oracle folder is $EDGE_ORACLE_DIR (a copy of ../shared/oracle after its setup.sh); without
// it (or without its node_modules) the comparison exits 77 (meson: skipped) saying so.
import fs from 'node:fs';
import path from 'node:path';
import {spawnSync} from 'node:child_process';
import {pathToFileURL} from 'node:url';

export const CHUNK = 1280, CONTEXT = 480, MELS = 32, WINDOW = 76, EMBED = 96, ZEROED = 5;
const FEATURE_FILES = new Set(['melspectrogram.tflite', 'embedding_model.tflite']);

// The few flatbuffer reads resizeInput needs (little-endian, offsets as the format has them).
function fbReader(buf) {
  const u32 = (o) => buf.readUInt32LE(o), i32 = (o) => buf.readInt32LE(o), u16 = (o) => buf.readUInt16LE(o);
  const field = (t, id) => {
    const vt = t - i32(t), len = u16(vt), at = 4 + 2 * id;
    const off = at < len ? u16(vt + at) : 0;
    return off ? t + off : 0;
  };
  const vec = (t, id) => { const f = field(t, id); if (!f) return null; const v = f + u32(f); return [v + 4, u32(v)]; };
  const tables = (t, id) => { const v = vec(t, id); const r = []; if (v) for (let i = 0; i < v[1]; i++) r.push(v[0] + 4 * i + u32(v[0] + 4 * i)); return r; };
  return {root: u32(0), i32, vec, tables};
}

// A copy of the melspectrogram model with its input [1, n] and its output [1, 1, frames, 32]
// (n = 512 + 160 * (frames - 1) and up to 159 more): TFLite's ResizeInputTensor done in the file
// (vector lengths unchanged). The output is written too because LiteRT.js sizes the buffers it
// hands back from the file; the operators re-derive every other shape when the model is prepared.
export function resizeMelspec(orig, n) {
  const buf = Buffer.from(orig);
  const fb = fbReader(buf);
  const sg = fb.tables(fb.root, 2)[0];
  const tensors = fb.tables(sg, 0);
  const set = (index, dims) => {
    for (const field of [0, 7]) {
      const v = fb.vec(tensors[index], field);
      if (!v) continue;
      if (v[1] !== dims.length) throw new Error(`melspectrogram tensor ${index} has rank ${v[1]}, expected ${dims.length}`);
      dims.forEach((d, i) => buf.writeInt32LE(d, v[0] + 4 * i));
    }
  };
  set(fb.i32(fb.vec(sg, 1)[0]), [1, n]);
  set(fb.i32(fb.vec(sg, 2)[0]), [1, 1, Math.floor((n - 512) / 160) + 1, MELS]);
  return buf;
}

export function readWav(file) {
  const b = fs.readFileSync(file);
  let off = 12, fmt = null;
  while (off + 8 <= b.length) {
    const id = b.toString('ascii', off, off + 4), size = b.readUInt32LE(off + 4);
    if (id === 'fmt ') fmt = {channels: b.readUInt16LE(off + 10), rate: b.readUInt32LE(off + 12), bits: b.readUInt16LE(off + 22)};
    if (id === 'data') {
      if (!fmt || fmt.rate !== 16000 || fmt.bits !== 16 || fmt.channels !== 1) throw new Error(`${file}: not 16 kHz 16-bit mono`);
      const d = b.subarray(off + 8, off + 8 + size);
      return new Int16Array(d.buffer.slice(d.byteOffset, d.byteOffset + (d.length & ~1)));
    }
    off += 8 + size + (size & 1);
  }
  throw new Error(`${file}: no data chunk`);
}

// The pipeline: ORACLE_DIR (set up), OWW_DIR's feature models and the classifiers NAMES (file
// stems; empty: every classifier in OWW_DIR).
export async function owwOpen(oracleDir, owwDir, names = []) {
  const L = await import(pathToFileURL(path.join(oracleDir, 'litert_node.mjs')).href);
  const fbmod = await import(pathToFileURL(path.join(oracleDir, 'tflite_fb.mjs')).href);
  const lr = await L.init();
  const compile = async (buf) => lr.loadAndCompile(new Uint8Array(buf), {accelerator: 'wasm'});
  const melBytes = fs.readFileSync(path.join(owwDir, 'melspectrogram.tflite'));
  const melFirst = await compile(resizeMelspec(melBytes, CHUNK));
  const melFull = await compile(resizeMelspec(melBytes, CHUNK + CONTEXT));
  const emb = await compile(fbmod.staticizeShapeSignatures(fs.readFileSync(path.join(owwDir, 'embedding_model.tflite'))).buf);
  if (!names.length) names = fs.readdirSync(owwDir).filter((f) => f.endsWith('.tflite') && !FEATURE_FILES.has(f)).sort().map((f) => f.slice(0, -7));
  const classifiers = [];
  for (const name of names) {
    const buf = fs.readFileSync(path.join(owwDir, name + '.tflite'));
    const sg = fbmod.parseTflite(buf).subgraphs[0];
    const frames = sg.tensors[sg.inputs[0]].shape[1];
    const outs = sg.tensors[sg.outputs[0]].shape.reduce((a, b) => a * b, 1);
    if (outs !== 1) continue; // a multi-class model (timer_v0.1): not a wake word, as audio/oww.c
    classifiers.push({name, frames, model: await compile(fbmod.staticizeShapeSignatures(buf).buf)});
  }
  const run = async (model, data, shape) => {
    const t = L.tensorFromBytes(lr, new Uint8Array(data.buffer, data.byteOffset, data.byteLength), shape, L.ET.FLOAT32);
    const outs = await model.run([t]);
    t.delete();
    const b = L.tensorBytes(lr, outs[0]);
    outs.forEach((o) => o.delete());
    return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
  };
  const melspec = async (model, pcm) => {
    const out = await run(model, Float32Array.from(pcm), [1, pcm.length]);
    return out.map((x) => x / 10 + 2);
  };
  const embed = async (frames) => run(emb, frames, [1, WINDOW, MELS, 1]);
  // the embedding of silence: one mel frame of zeros repeated 76 times
  const zeroFrame = (await melspec(melFull, new Int16Array(CHUNK + CONTEXT))).slice(0, MELS);
  const silenceFrames = new Float32Array(WINDOW * MELS);
  for (let i = 0; i < WINDOW; i++) silenceFrames.set(zeroFrame, i * MELS);
  const silence = await embed(silenceFrames);
  const maxFrames = Math.max(16, ...classifiers.map((c) => c.frames));

  function stream() {
    let mel = new Float32Array(WINDOW * MELS).fill(1); // utils.py: np.ones((76, 32))
    const embs = Array.from({length: maxFrames}, () => silence);
    let prev = null, chunks = 0;
    return {
      // One 1280-sample chunk: every classifier's score, and the chunk's embedding.
      async chunk(pcm) {
        if (pcm.length !== CHUNK) throw new Error('chunks are 1280 samples');
        let input = pcm;
        if (prev) { input = new Int16Array(CHUNK + CONTEXT); input.set(prev.subarray(CHUNK - CONTEXT)); input.set(pcm, CONTEXT); }
        const m = await melspec(prev ? melFull : melFirst, input);
        const grown = new Float32Array(mel.length + m.length);
        grown.set(mel); grown.set(m, mel.length);
        mel = grown.slice(grown.length - WINDOW * MELS);
        const e = await embed(mel);
        embs.push(e); embs.shift();
        prev = Int16Array.from(pcm);
        chunks++;
        const scores = {};
        for (const c of classifiers) {
          const x = new Float32Array(c.frames * EMBED);
          embs.slice(embs.length - c.frames).forEach((v, i) => x.set(v, i * EMBED));
          const s = (await run(c.model, x, [1, c.frames, EMBED]))[0];
          scores[c.name] = chunks <= ZEROED ? 0 : s;
        }
        return {scores, embedding: e};
      },
    };
  }
  return {names: classifiers.map((c) => c.name), stream};
}

// Every chunk's scores for the 16 kHz mono samples PCM (whole chunks only, as openWakeWord).
// (WITH_EMBEDDINGS: rows of {scores, embedding} instead.)
export async function owwScores(p, pcm, withEmbeddings = false) {
  const s = p.stream(), rows = [];
  for (let i = 0; i + CHUNK <= pcm.length; i += CHUNK) {
    const r = await s.chunk(pcm.subarray(i, i + CHUNK));
    rows.push(withEmbeddings ? r : r.scores);
  }
  return rows;
}

function oracleDir() {
  const d = process.env.EDGE_ORACLE_DIR;
  if (!d || !fs.existsSync(path.join(d, 'node_modules', '@litertjs', 'core'))) {
    console.log('SKIP: EDGE_ORACLE_DIR does not name a set-up copy of ../shared/oracle ' +
      '(cp -r ../shared/oracle/. DIR && DIR/setup.sh), so LiteRT.js cannot be run');
    process.exit(77);
  }
  return d;
}

// edged's lines: "chunk model score" and "E chunk v0 .. v95".
function parseLines(text) {
  const m = new Map(), emb = new Map();
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length === 3 && /^\d+$/.test(f[0])) m.set(`${f[0]} ${f[1]}`, +f[2]);
    if (f[0] === 'E' && f.length === 2 + EMBED) emb.set(+f[1], f.slice(2).map(Number));
  }
  return {scores: m, emb};
}

async function main(argv) {
  if (argv[0] === '--scores') {
    const [, owwDir, wav, ...names] = argv;
    const p = await owwOpen(oracleDir(), owwDir, names);
    (await owwScores(p, readWav(wav))).forEach((r, i) => { for (const n of p.names) console.log(`${i} ${n} ${r[n]}`); });
    return 0;
  }
  if (argv[0] === '--compare') {
    let tol = 1e-4, embTol = 1e-5;
    const rest = [];
    for (let i = 1; i < argv.length; i++) {
      if (argv[i] === '--tol') tol = +argv[++i];
      else if (argv[i] === '--emb-tol') embTol = +argv[++i];
      else rest.push(argv[i]);
    }
    const [prog, owwDir, ...wavs] = rest;
    const p = await owwOpen(oracleDir(), owwDir);
    let worst = 0, bad = 0, n = 0;
    for (const wav of wavs) {
      const r = spawnSync(prog, ['--scores', owwDir, wav], {encoding: 'utf8', maxBuffer: 1 << 26});
      if (r.status !== 0) { console.log(`FAIL: ${prog} --scores ${wav}: exit ${r.status}\n${r.stdout}${r.stderr}`); return 1; }
      const {scores: ours, emb} = parseLines(r.stdout);
      const rows = await owwScores(p, readWav(wav), true);
      rows.forEach((row, i) => {
        for (const name of p.names) {
          const key = `${i} ${name}`, want = row.scores[name], got = ours.get(key);
          n++;
          const d = got === undefined ? Infinity : Math.abs(got - want);
          worst = Math.max(worst, d);
          if (!(d <= tol)) { bad++; if (bad <= 10) console.log(`${path.basename(wav)} chunk ${i} ${name}: edged ${got} LiteRT.js ${want} (|d| ${d})`); }
        }
      });
      // the embeddings (what the scores rest on; a score near 0 or 1 hides small feature errors):
      // within EMB_TOL (1e-5; they agree to about 1.3e-6) of the chunk's largest magnitude
      let worstEmb = 0;
      rows.forEach((row, i) => {
        const got = emb.get(i), scale = Math.max(1, ...row.embedding.map(Math.abs));
        const d = got ? Math.max(...row.embedding.map((v, j) => Math.abs(got[j] - v))) / scale : Infinity;
        worstEmb = Math.max(worstEmb, d);
        if (!(d <= embTol)) { bad++; if (bad <= 10) console.log(`${path.basename(wav)} chunk ${i} embedding: relative difference ${d}`); }
      });
      console.log(`${path.basename(wav)}: embeddings within ${worstEmb.toExponential(3)} of the largest element`);
      const keys = [...ours.keys()].filter((k) => +k.split(' ')[0] >= rows.length);
      if (keys.length) { bad++; console.log(`${path.basename(wav)}: edged reports ${keys.length} scores past the ${rows.length} chunks`); }
      const maxes = p.names.map((nm) => `${nm} ${Math.max(...rows.map((r) => r.scores[nm])).toFixed(4)}`);
      console.log(`${path.basename(wav)}: ${rows.length} chunks; LiteRT.js max scores: ${maxes.join(', ')}`);
    }
    console.log(`${n} scores compared, largest difference ${worst.toExponential(3)} (tolerance ${tol}; embeddings ${embTol})`);
    if (bad) { console.log(`FAIL: ${bad} scores or embeddings differ by more than their tolerance`); return 1; }
    return 0;
  }
  console.error('usage: oww_oracle.mjs --scores OWW_DIR WAV [MODEL...] | --compare PROGRAM OWW_DIR WAV... [--tol T]');
  return 2;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then((c) => process.exit(c), (e) => { console.log('FAIL: ' + (e?.stack ?? e)); process.exit(1); });
}
