/**
 * Interoperability, checked by an independent reader and writer: Python's
 * standard library and numpy, reading and writing safetensors exactly as the
 * format's spec describes (json + struct + numpy.frombuffer), no dnnc code.
 *   1. Python reads a dnnc checkpoint and compares every tensor with the
 *      values dnnc reports (getWeights and the optimizer state), and checks
 *      the layout: u64 header length, 8-byte aligned data, contiguous offsets.
 *   2. Python writes a weights file (float32, and float16 for one tensor)
 *      that dnnc loads; predictions then use exactly those values.
 * Needs /usr/bin/python3 with numpy (Debian's python3-numpy; .ci/run installs
 * it). Without it: fails under CI, skipped with the reason otherwise.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { programFromModel } from '../../codegen/module/plan-model.js';
import { compileSource } from '../../compiler/compile.js';
import { instantiate, readSafetensors } from '../../runtime/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const out = join(root, 'test', '.out', 'python-interop');
const PYTHON = process.env.PYTHON3 ?? '/usr/bin/python3';
const CI = process.env.CI === 'true' || process.env.CI === '1';

function python(script: string, args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(PYTHON, ['-c', script, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const available = existsSync(PYTHON) && python('import numpy', []).code === 0;
function skipped(): boolean {
  if (available) return false;
  if (CI) assert.unreachable(`${PYTHON} with numpy is needed (apt-get install python3-numpy)`);
  console.log(`\n  [python interop skipped] no ${PYTHON} with numpy`);
  return true;
}

const SRC = `
model Net {
  input  x: f32[B, 5]
  output y: f32[B, 3]
  y = x |> dense(6) |> batchnorm |> relu |> dense(3)
}
train Net {
  target    : f32[B, 3]
  loss      = mse(y, target)
  optimizer = adam(lr: 1e-2)
  batch     = 4
  epochs    = 1
}`;
const program = programFromModel(compileSource(SRC, 'net.dnn').file!.models[0]);

// the spec, in Python: 8-byte little-endian header size, JSON header, raw little-endian data
const READER = `
import json, struct, sys
import numpy as np
raw = open(sys.argv[1], 'rb').read()
(n,) = struct.unpack('<Q', raw[:8])
header = json.loads(raw[8:8 + n].decode('utf-8'))
meta = header.pop('__metadata__', {})
assert (8 + n) % 8 == 0, 'data area not 8-byte aligned'
kinds = {'F32': '<f4', 'I32': '<i4', 'U8': 'u1', 'BOOL': 'u1'}
ends, tensors = [], {}
for name, t in header.items():
    b, e = t['data_offsets']
    a = np.frombuffer(raw[8 + n + b: 8 + n + e], dtype=kinds[t['dtype']]).reshape(t['shape'])
    tensors[name] = {'dtype': t['dtype'], 'shape': list(a.shape), 'data': a.astype(np.float64).ravel().tolist()}
    ends.append((b, e))
ends.sort()
assert ends[0][0] == 0 and all(x[1] == y[0] for x, y in zip(ends, ends[1:])) and ends[-1][1] == len(raw) - 8 - n, 'offsets do not tile the data'
print(json.dumps({'metadata': meta, 'tensors': tensors}))
`;

const WRITER = `
import json, struct, sys
import numpy as np
spec = json.loads(sys.argv[2])
header, blobs, at = {'__metadata__': {'written_by': 'python'}}, [], 0
for name, t in spec.items():
    a = np.asarray(t['data'], dtype='<f2' if t['dtype'] == 'F16' else '<f4').reshape(t['shape'])
    blob = a.tobytes()
    header[name] = {'dtype': t['dtype'], 'shape': list(a.shape), 'data_offsets': [at, at + len(blob)]}
    blobs.append(blob)
    at += len(blob)
h = json.dumps(header).encode('utf-8')
h += b' ' * ((8 - (8 + len(h)) % 8) % 8)
with open(sys.argv[1], 'wb') as f:
    f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))
`;

test('Python (json + struct + numpy) reads a dnnc checkpoint: every tensor, dtype, shape and the metadata', async () => {
  if (skipped()) return;
  mkdirSync(out, { recursive: true });
  const m = await instantiate(program, { seed: 4 });
  const x = Float32Array.from({ length: 20 }, (_, i) => Math.cos(i));
  for (let i = 0; i < 3; i++) await m.trainStep({ x, target: new Float32Array(12).fill(0.5) });
  const path = join(out, 'dnnc.safetensors');
  writeFileSync(path, await m.saveCheckpoint());
  const r = python(READER, [path]);
  assert.is(r.code, 0, r.stderr);
  const py = JSON.parse(r.stdout) as { metadata: Record<string, string>; tensors: Record<string, { dtype: string; shape: number[]; data: number[] }> };
  assert.is(py.metadata.model, 'Net');
  assert.is(py.metadata.step, '3');
  const weights = m.getWeights();
  const expected: Record<string, { shape: number[]; data: ArrayLike<number> }> = {};
  for (const p of [...program.params, ...(program.state ?? [])]) expected[p.path] = { shape: p.shape, data: weights[p.path] };
  // the optimizer state is not exposed by the API: dnnc's reader and Python's must agree on it
  const ours = readSafetensors(readFileSync(path)).tensors;
  for (const s of program.train!.state) expected[`optimizer/${s.path}`] = { shape: s.shape, data: ours.get(`optimizer/${s.path}`)!.data };
  assert.equal(Object.keys(py.tensors).sort(), Object.keys(expected).sort());
  assert.ok(Object.keys(py.tensors).some((k) => k.endsWith('running_var')));
  for (const [name, t] of Object.entries(py.tensors)) {
    assert.is(t.dtype, 'F32', name);
    assert.equal(t.shape, expected[name].shape, name);
    assert.equal(t.data, Array.from(expected[name].data), name);
    if (name.startsWith('optimizer/')) assert.ok(t.data.some((v) => v !== 0), `${name}: Adam moments after 3 steps are not all zero`);
  }
  m.dispose();
});

test('dnnc loads a weights file written by Python (float32, and float16 converted on load)', async () => {
  if (skipped()) return;
  const spec: Record<string, { dtype: string; shape: number[]; data: number[] }> = {};
  let k = 0;
  for (const p of [...program.params, ...(program.state ?? [])]) {
    const n = p.shape.reduce((a, b) => a * b, 1);
    const data = Array.from({ length: n }, () => (p.path.endsWith('running_var') ? 1 + (k++ % 3) / 4 : Math.round(Math.sin(k++) * 64) / 64));
    spec[p.path] = { dtype: p.path === 'Net.dense_2.weight' ? 'F16' : 'F32', shape: p.shape, data };
  }
  const path = join(out, 'python.safetensors');
  const r = python(WRITER, [path, JSON.stringify(spec)]);
  assert.is(r.code, 0, r.stderr);
  const m = await instantiate(program, { seed: 1 });
  const info = m.loadWeights(readFileSync(path), { source: path });
  assert.is(info.metadata.written_by, 'python');
  assert.equal(info.converted, ['Net.dense_2.weight (F16)']);
  const w = m.getWeights();
  // multiples of 1/64 below 1 are exact in float16 and float32
  for (const [name, t] of Object.entries(spec)) assert.equal(Array.from(w[name]), t.data, name);
  const y = await m.predict({ x: new Float32Array(10).fill(1) });
  assert.ok(y.y.data.every(Number.isFinite));
  m.dispose();
});

test.run();
