/**
 * The cpu backend's WebAssembly SIMD kernels against its JS kernels (the
 * reference): GEMM and convolution shapes that exercise every remainder
 * (rows left over after blocks of 6, a partial panel of 8 columns, K
 * blocks), symbolic batch dims, whole training steps, several thread
 * counts (bit-identical), several batch sizes in one memory, and weights
 * read and written through the model while they live in the wasm memory.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GraphBuilder } from '../../compiler/builder.js';
import type { CompiledModel } from '../../compiler/compiled.js';
import { compileSource } from '../../compiler/compile.js';
import type { Dim } from '../../compiler/dims.js';
import { Graph, type Attrs } from '../../compiler/ir.js';
import { programFromModel } from '../../codegen/module/plan-model.js';
import { instantiate } from '../../runtime/index.js';
import { CpuBackend } from '../../runtime/backends/cpu.js';
import { CompiledModel as RuntimeModel } from '../../runtime/model.js';
import type { ProgramEntry } from '../../runtime/program.js';
import type { Model } from '../../runtime/types.js';
import { rng } from '../webgpu/helpers.js';

interface Case {
  op: string;
  shapes: Dim[][];
  attrs?: Attrs;
  dims?: Record<string, number>;
  note: string;
}

const CASES: Case[] = [
  { op: 'matmul', shapes: [[1, 1], [1, 1]], note: '1x1x1' },
  { op: 'matmul', shapes: [[7, 5], [5, 13]], note: 'a row left after 6, a partial panel' },
  { op: 'matmul', shapes: [[11, 600], [600, 9]], note: 'three K blocks, 5 rows left' },
  { op: 'matmul', shapes: [['B', 784], [784, 128]], dims: { B: 23 }, note: 'symbolic rows' },
  { op: 'matmul', shapes: [['B', 33], ['B', 17]], attrs: { transA: true }, dims: { B: 70 }, note: 'symbolic K (a weight gradient)' },
  { op: 'matmul', shapes: [[203, 600], [600, 17]], note: 'three row blocks of 96 (the last 11 rows: 5 left after 6), K blocks' },
  { op: 'matmul', shapes: [['B', 40], [40, 9]], dims: { B: 197 }, note: 'symbolic rows over three row blocks' },
  { op: 'matmul', shapes: [[600, 203], [600, 17]], attrs: { transA: true }, note: 'transposed A: 4 rows per v128 load, 3 left; K blocks' },
  { op: 'matmul', shapes: [[40, 'B'], [40, 9]], attrs: { transA: true }, dims: { B: 10 }, note: 'transposed A, symbolic rows' },
  { op: 'matmul', shapes: [[7, 'K'], ['K', 10]], dims: { K: 13 }, note: 'symbolic K: symbolic row stride of A, static k stride' },
  { op: 'matmul', shapes: [['B', 19], [40, 19]], attrs: { transB: true }, dims: { B: 9 }, note: 'transposed B' },
  { op: 'matmul', shapes: [[3, 10, 7], [3, 7, 12]], note: 'batched' },
  { op: 'conv2d', shapes: [[3, 1, 28, 28], [6, 1, 5, 5]], attrs: { pads: [2, 2, 2, 2] }, note: 'LeNet conv 1' },
  { op: 'conv2d', shapes: [['B', 6, 14, 14], [16, 6, 5, 5]], dims: { B: 4 }, note: 'LeNet conv 2, symbolic batch' },
  { op: 'conv2d', shapes: [[2, 4, 9, 11], [6, 2, 3, 2]], attrs: { groups: 2, strides: [2, 1], dilations: [1, 2], pads: [1, 0, 2, 1] }, note: 'groups, strides, dilation' },
  { op: 'conv2d_backprop_input', shapes: [[3, 16, 10, 10], [16, 6, 5, 5]], attrs: { inputSize: [14, 14] }, note: 'LeNet conv 2' },
  { op: 'conv2d_backprop_input', shapes: [[2, 6, 4, 5], [6, 2, 3, 3]], attrs: { groups: 2, strides: [2, 2], pads: [1, 1, 1, 1], inputSize: [8, 9] }, note: 'groups, stride 2' },
  { op: 'conv2d_backprop_filter', shapes: [[3, 1, 28, 28], [3, 6, 28, 28]], attrs: { kernel: [5, 5], pads: [2, 2, 2, 2] }, note: 'LeNet conv 1 (K blocks over pixels)' },
  { op: 'conv2d_backprop_filter', shapes: [[4, 6, 9, 9], [4, 4, 9, 9]], attrs: { kernel: [3, 3], pads: [1, 1, 1, 1], groups: 2 }, note: 'groups 2' },
  { op: 'maxpool2d', shapes: [[2, 3, 9, 9]], attrs: { kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, note: 'padded windows' },
  { op: 'maxpool2d', shapes: [['B', 3, 12, 19]], attrs: { kernel: [2, 2] }, dims: { B: 3 }, note: '2x2: four outputs at a time, one left' },
  { op: 'maxpool2d_grad', shapes: [[2, 3, 12, 18], [2, 3, 6, 9]], attrs: { kernel: [2, 2] }, note: '2x2: four windows at a time, one left' },
  { op: 'maxpool2d_grad', shapes: [[2, 2, 7, 7], [2, 2, 3, 3]], attrs: { kernel: [3, 3], strides: [2, 2] }, note: 'overlapping windows' },
];

function oneNode(c: Case): CompiledModel {
  const g = new Graph(c.op);
  const b = new GraphBuilder(g);
  b.scope = `T.${c.op}`;
  const ins = c.shapes.map((s, i) => b.input(`x${i}`, 'f32', s));
  const y = b.op(c.op, ins, c.attrs ?? {});
  g.outputs = [{ name: 'y', value: y }];
  return { name: c.op, inputs: ins.map((v, i) => ({ name: `x${i}`, dtype: 'f32', shape: v.type.shape })), outputs: [{ name: 'y', dtype: 'f32', shape: y.type.shape }], params: [], state: [], predict: g };
}

const usesWasm = (m: Model) => (m as unknown as { impl: { kernels: string } }).impl.kernels === 'wasm';

/** |a - b| <= 1e-5 * max(1, |b|) everywhere */
function close(a: ArrayLike<number>, b: ArrayLike<number>, label: string, tol = 1e-5): void {
  assert.is(a.length, b.length, `${label}: length`);
  for (let i = 0; i < b.length; i++) if (!(Math.abs(a[i] - b[i]) <= tol * Math.max(1, Math.abs(b[i])))) assert.unreachable(`${label}: element ${i} is ${a[i]}, JS kernels ${b[i]}`);
}

for (const c of CASES) {
  test(`wasm = js kernels: ${c.op} (${c.note})`, async () => {
    const program = programFromModel(oneNode(c));
    const dims = c.dims ?? {};
    const next = rng(11);
    const inputs: Record<string, { data: Float32Array; shape: number[] }> = {};
    c.shapes.forEach((s, i) => {
      const shape = s.map((d) => (typeof d === 'number' ? d : dims[d]));
      inputs[`x${i}`] = { data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => Math.fround(2 * next() - 1)), shape };
    });
    const js = await instantiate(program, { cpu: { kernels: 'js' }, threads: 1 });
    const want = (await js.predict(inputs)).y.data;
    for (const threads of [1, 2]) {
      const wa = await instantiate(program, { cpu: { kernels: 'wasm' }, threads });
      assert.ok(usesWasm(wa));
      const got = (await wa.predict(inputs)).y.data;
      close(got, want, `${c.op} (${c.note}), ${threads} thread(s)`);
      // a second run reuses the buffers
      close((await wa.predict(inputs)).y.data, want, `${c.op} (${c.note}), second run`);
      wa.dispose();
    }
    js.dispose();
  });
}

function lenet(): CompiledModel {
  const path = 'bench/models/lenet5.dnn';
  const r = compileSource(readFileSync(path, 'utf8'), path);
  return r.file!.models[0];
}

function batch(n: number, seed: number) {
  const next = rng(seed);
  return {
    image: { data: Float32Array.from({ length: n * 784 }, () => Math.fround(next())), shape: [n, 1, 28, 28] },
    label: { data: Int32Array.from({ length: n }, () => Math.floor(next() * 10)), shape: [n] },
  };
}

test('LeNet-5 training: wasm kernels follow the JS kernels (loss and weights within 1e-5)', async () => {
  const program = programFromModel(lenet());
  const js = await instantiate(program, { seed: 3, cpu: { kernels: 'js' }, threads: 1 });
  const wa = await instantiate(program, { seed: 3, cpu: { kernels: 'wasm' }, threads: 1 });
  for (let s = 0; s < 3; s++) {
    const b = batch(16, s);
    const x = await js.trainStep(b);
    const y = await wa.trainStep(b);
    assert.ok(Math.abs(x.loss - y.loss) <= 1e-5 * Math.max(1, Math.abs(x.loss)), `step ${s + 1}: loss ${y.loss}, JS kernels ${x.loss}`);
  }
  const wj = js.getWeights();
  const ww = wa.getWeights();
  // Adam divides by sqrt(v): a weight's first steps move by about lr whatever the gradient's size, so compare to lr
  for (const k of Object.keys(wj)) close(ww[k], wj[k], k, 1e-4);
  js.dispose();
  wa.dispose();
});

test('wasm kernels on 1, 2 and 3 threads: bit-identical training', async () => {
  const program = programFromModel(lenet());
  const runs: { losses: number[]; weights: Record<string, Float32Array> }[] = [];
  for (const threads of [1, 2, 3]) {
    const m = await instantiate(program, { seed: 5, cpu: { kernels: 'wasm' }, threads });
    const losses: number[] = [];
    for (let s = 0; s < 3; s++) losses.push((await m.trainStep(batch(64, 10 + s))).loss);
    runs.push({ losses, weights: m.getWeights() });
    m.dispose();
  }
  for (const r of runs.slice(1)) {
    assert.equal(r.losses, runs[0].losses);
    for (const k of Object.keys(r.weights)) assert.ok(r.weights[k].every((v, i) => Object.is(v, runs[0].weights[k][i])), k);
  }
});

test('one wasm memory: several batch sizes, weights set and read through the model', async () => {
  const program = programFromModel(lenet());
  const js = await instantiate(program, { seed: 2, cpu: { kernels: 'js' } });
  const wa = await instantiate(program, { seed: 2, cpu: { kernels: 'wasm' } });
  // weights set before a step reach the kernels; the step's updates are visible to getWeights
  const w = js.getWeights();
  const k = 'LeNet.dense_3.bias';
  w[k] = w[k].map((_, i) => i / 10);
  js.setWeights({ [k]: w[k] });
  wa.setWeights({ [k]: w[k] });
  for (const n of [3, 64, 5, 3]) {
    const b = batch(n, n);
    close((await wa.predict({ image: b.image })).logits.data, (await js.predict({ image: b.image })).logits.data, `predict, batch ${n}`);
  }
  await js.trainStep(batch(7, 1));
  await wa.trainStep(batch(7, 1));
  close(wa.getWeights()[k], js.getWeights()[k], `${k} after a step`);
  const saved = await wa.saveWeights();
  const again = await instantiate(program, { seed: 9, cpu: { kernels: 'wasm' } });
  again.loadWeights(saved);
  const b = batch(4, 42);
  assert.equal(Array.from((await again.predict({ image: b.image })).logits.data), Array.from((await wa.predict({ image: b.image })).logits.data));
  for (const m of [js, wa, again]) m.dispose();
});

test('an ordinary (unshared) memory, as in a page without cross-origin isolation: growing keeps the weights and results right', async () => {
  const program = programFromModel(lenet());
  const entries = Object.values(program.entries).filter((e): e is ProgramEntry => Boolean(e));
  const backend = await CpuBackend.create({ kernels: 'wasm', threads: 1, sharedMemory: false }, entries);
  assert.is(backend.kernels, 'wasm');
  const wa = new RuntimeModel(program, backend, { seed: 6 });
  const js = await instantiate(program, { seed: 6, cpu: { kernels: 'js' } });
  // weights are readable before any run, though adopting them grew the memory
  const w0 = wa.getWeights();
  for (const [k, v] of Object.entries(js.getWeights())) assert.equal(Array.from(w0[k]), Array.from(v), k);
  // each new batch size grows the memory: every earlier view is detached and made again
  for (const n of [2, 64, 200, 3]) {
    const b = batch(n, 100 + n);
    close((await wa.predict({ image: b.image })).logits.data, (await js.predict({ image: b.image })).logits.data, `predict, batch ${n}`);
    const x = await wa.trainStep(b);
    const y = await js.trainStep(b);
    assert.ok(Math.abs(x.loss - y.loss) <= 1e-5 * Math.max(1, Math.abs(y.loss)), `loss at batch ${n}: ${x.loss} vs ${y.loss}`);
  }
  for (const [k, v] of Object.entries(js.getWeights())) close(wa.getWeights()[k], v, k, 1e-4);
  wa.dispose();
  js.dispose();
});

test('kernels: js runs no wasm; the default is wasm', async () => {
  const program = programFromModel(lenet());
  const js = await instantiate(program, { cpu: { kernels: 'js' } });
  const dflt = await instantiate(program);
  assert.not.ok(usesWasm(js));
  assert.ok(usesWasm(dflt));
  js.dispose();
  dflt.dispose();
});

test('env DNNC_CPU_KERNELS picks the kernels when the option does not; the option wins; a bad value is an Error', async () => {
  const program = programFromModel(lenet());
  const before = process.env.DNNC_CPU_KERNELS;
  try {
    process.env.DNNC_CPU_KERNELS = 'js';
    const byEnv = await instantiate(program);
    const byOption = await instantiate(program, { cpu: { kernels: 'wasm' } });
    assert.not.ok(usesWasm(byEnv));
    assert.ok(usesWasm(byOption));
    byEnv.dispose();
    byOption.dispose();
    process.env.DNNC_CPU_KERNELS = 'simd';
    const err = await instantiate(program).then(
      (m) => (m.dispose(), undefined),
      (e: Error) => e,
    );
    assert.match(err?.message ?? 'no error', /DNNC_CPU_KERNELS must be 'js' or 'wasm'/);
  } finally {
    if (before === undefined) delete process.env.DNNC_CPU_KERNELS;
    else process.env.DNNC_CPU_KERNELS = before;
  }
});

test.run();
