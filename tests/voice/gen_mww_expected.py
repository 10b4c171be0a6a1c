#!/usr/bin/env python3
"""tests/voice/gen_mww_expected.py ORACLE_DIR VOICE_DIR > tests/voice/mww_expected.h

TensorFlow Lite's answers for test_mww_models.c: the test's input sequence (the same formula),
each microWakeWord model run over it by litert_sequence.mjs (LiteRT.js from ORACLE_DIR, a set-up
copy of ../shared/oracle): output 0 of every invoke, and the FNV-1a of the last FULLY_CONNECTED's
input (a copy of the model with that tensor as output 0), SAMPLES of its bytes per invoke
(positions k * (size / SAMPLES)): LiteRT.js's XNNPACK requantizes in float32 and drifts a few
steps from TensorFlow Lite's reference kernels over a stream, so the test holds these within a
few steps, not bit for bit. Needs node."""
import os, subprocess, sys, tempfile

INVOKES = 40
SAMPLES = 32
MODELS = ['okay_nabu', 'hey_jarvis', 'alexa', 'hey_mycroft', 'vad']
here = os.path.dirname(os.path.abspath(__file__))
oracle, voice = sys.argv[1], sys.argv[2]

def frames(n):
    s, b = 777, bytearray()
    for f in range(3 * n):
        for c in range(40):
            s = (s * 1103515245 + 12345) & 0x7fffffff
            v = -128 + (f * 7 + c * 13) % 97 + (s >> 16) % 41 - 20 + (40 if (f // 25) % 2 else 0)
            b.append(max(-128, min(127, v)) & 255)
    return bytes(b)

def node(*args):
    return subprocess.run(['node', *args], check=True, capture_output=True, text=True).stdout

def fc_input(model):
    js = ("import(process.argv[1]).then(({readTflite}) => { const m = readTflite(process.argv[2]);"
          " const sg = m.subgraphs[0]; const op = sg.operators.find((o) => m.opcodes[o.opcode].code === 9);"
          " console.log(op.inputs[0]); })")
    return int(node('-e', js, os.path.join(oracle, 'tflite_fb.mjs'), model))

tmp = tempfile.mkdtemp()
fpath = os.path.join(tmp, 'frames.bin')
open(fpath, 'wb').write(frames(INVOKES))
rows = []
for name in MODELS:
    model = os.path.join(voice, 'microwakeword', name + '.tflite')
    out, feat = os.path.join(tmp, name + '_out.bin'), os.path.join(tmp, name + '_features.bin')
    node(os.path.join(here, 'litert_sequence.mjs'), oracle, model, fpath, out)
    t = fc_input(model)
    node(os.path.join(here, 'litert_sequence.mjs'), oracle, model, fpath, feat, '--output0', str(t))
    prob, fb = open(out, 'rb').read(), open(feat, 'rb').read()
    n = len(fb) // INVOKES
    step = n // SAMPLES
    samples = [[fb[i * n + k * step] for k in range(SAMPLES)] for i in range(INVOKES)]
    rows.append((name, prob, t, n, samples))

print('''/* tests/voice/mww_expected.h - TensorFlow Lite's answers for test_mww_models.c, written by
 * tests/voice/gen_mww_expected.py (LiteRT.js through litert_sequence.mjs, one compiled model
 * invoked over the whole sequence, its resource variables carried from invoke to invoke).
 * Generated numbers, not data from ../shared. */
#ifndef MWW_EXPECTED_H
#define MWW_EXPECTED_H

#include <stddef.h>
#include <stdint.h>

#define MWW_INVOKES %d
#define MWW_SAMPLES %d

typedef struct mww_expected {
    const char *name;
    uint8_t probability[MWW_INVOKES]; /* output 0 (uint8) of each invoke */
    int32_t features_tensor;          /* the last FULLY_CONNECTED's input */
    size_t feature_bytes;
    /* that tensor's bytes k * (feature_bytes / MWW_SAMPLES) after each invoke */
    uint8_t features[MWW_INVOKES][MWW_SAMPLES];
} mww_expected;

static const mww_expected mww_models[] = {''' % (INVOKES, SAMPLES))
for name, prob, t, n, samples in rows:
    print('    {"%s",' % name)
    print('     {%s},' % ', '.join(str(x) for x in prob))
    print('     %d,' % t)
    print('     %d,' % n)
    print('     {')
    for row in samples:
        print('         {%s},' % ', '.join(str(x) for x in row))
    print('     }},')
print('};\n\n#endif')
