/**
 * Threaded CPU kernels: a split kernel (codegen/cpu/split.ts) run in chunks
 * of rows, in any order and on any thread, gives exactly the output of the
 * single-threaded call; and a whole training step with threads on gives
 * exactly the weights and loss it gives with threads off.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GraphBuilder } from '../../compiler/builder.js';
import type { CompiledModel } from '../../compiler/compiled.js';
import { compileSource } from '../../compiler/compile.js';
import type { Dim } from '../../compiler/dims.js';
import { Graph } from '../../compiler/ir.js';
import type { Attrs } from '../../compiler/ir.js';
import { programFromModel } from '../../codegen/module/plan-model.js';
import { instantiate } from '../../runtime/index.js';
import { chunkBounds, resolveThreads, scratchArray, sharedArray, threadPool, type ScratchArray } from '../../runtime/threads.js';
import type { KernelFn, ProgramEntry, ProgramStep } from '../../runtime/program.js';
import { evalDim } from '../../compiler/dims.js';
import type { TypedArray } from '../../runtime/types.js';
import { AFTER, BEFORE, QUERY, type SplitKernelFn } from '../../runtime/program.js';


function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Case {
  op: string;
  shapes: number[][];
  attrs?: Attrs;
  note: string;
}

const CASES: Case[] = [
  { op: 'matmul', shapes: [[37, 53], [53, 29]], note: 'odd sizes' },
  { op: 'matmul', shapes: [[64, 400], [400, 120]], note: 'two K blocks' },
  { op: 'matmul', shapes: [[53, 37], [29, 53]], attrs: { transA: true, transB: true }, note: 'both transposed' },
  { op: 'matmul', shapes: [[3, 18, 7], [3, 7, 11]], note: 'batched' },
  { op: 'matmul', shapes: [[4, 9, 16], [16, 6]], note: 'folded batch' },
  { op: 'conv2d', shapes: [[9, 3, 12, 12], [5, 3, 5, 5]], attrs: { pads: [2, 2, 2, 2] }, note: 'same 5x5' },
  { op: 'conv2d', shapes: [[7, 4, 9, 11], [6, 2, 3, 2]], attrs: { groups: 2, strides: [2, 1], dilations: [1, 2], pads: [1, 0, 2, 1] }, note: 'groups, strides, dilation' },
  { op: 'conv2d_backprop_input', shapes: [[9, 5, 8, 8], [5, 3, 5, 5]], attrs: { inputSize: [12, 12] }, note: 'valid 5x5' },
  { op: 'conv2d_backprop_input', shapes: [[5, 6, 4, 5], [6, 2, 3, 3]], attrs: { groups: 2, strides: [2, 2], pads: [1, 1, 1, 1], inputSize: [8, 9] }, note: 'groups, stride 2' },
  { op: 'conv2d_backprop_filter', shapes: [[9, 3, 12, 12], [9, 5, 8, 8]], attrs: { kernel: [5, 5] }, note: 'taps 75 (a tail strip)' },
  { op: 'conv2d_backprop_filter', shapes: [[4, 6, 9, 9], [4, 4, 9, 9]], attrs: { kernel: [3, 3], pads: [1, 1, 1, 1], groups: 2 }, note: 'groups 2, taps 27' },
  { op: 'conv2d_backprop_filter', shapes: [[3, 1, 10, 10], [3, 6, 6, 6]], attrs: { kernel: [5, 5] }, note: 'taps 25' },
];

function oneNode(c: Case, symbolic: boolean): CompiledModel {
  const g = new Graph(c.op);
  const b = new GraphBuilder(g);
  b.scope = `T.${c.op}`;
  const ins = c.shapes.map((s, i) => b.input(`x${i}`, 'f32', (symbolic && s.length === 4 && (i === 0 || c.op === 'conv2d_backprop_filter') ? ['B', ...s.slice(1)] : s) as Dim[]));
  const y = b.op(c.op, ins, c.attrs ?? {});
  g.outputs = [{ name: 'y', value: y }];
  return {
    name: c.op,
    inputs: ins.map((v, i) => ({ name: `x${i}`, dtype: 'f32', shape: v.type.shape })),
    outputs: [{ name: 'y', dtype: 'f32', shape: y.type.shape }],
    params: [],
    state: [],
    predict: g,
  };
}

/** A step's kernel scratch (ProgramStep.scratch), filled with NaN: a kernel must not read scratch it did not write. */
const scratchFor = (entry: ProgramEntry, step: ProgramStep, dims: Record<string, number>): TypedArray[] =>
  (step.scratch ?? []).map((i) => scratchArray(entry.scratch![i].dtype, evalDim(entry.scratch![i].size, dims)).fill(NaN)) as unknown as TypedArray[];

const fill = (n: number, next: () => number) => Float32Array.from({ length: n }, () => Math.fround(2 * next() - 1));
const same = (a: TypedArray, b: TypedArray, label: string) => {
  assert.is(a.length, b.length, `${label}: length`);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) assert.unreachable(`${label}: element ${i} is ${b[i]}, single-threaded ${a[i]}`);
};

for (const c of CASES) {
  test(`split kernel, any chunks = whole: ${c.op} (${c.note})`, () => {
    for (const symbolic of [false, true]) {
      const program = programFromModel(oneNode(c, symbolic));
      const entry = program.entries.predict;
      const steps = entry.steps.filter((s) => !s.once);
      assert.is(steps.length, 1);
      const fn = entry.kernels[steps[0].kernel] as SplitKernelFn;
      const dims: Record<string, number> = symbolic ? { B: c.shapes[0][0] } : {};
      const q = fn([], [], dims, QUERY);
      assert.ok(q, `${c.op} is a split kernel`);
      const { extent, align, flops } = q;
      assert.ok(extent > 0 && align >= 1 && flops > 0);
      const next = rng(7);
      const ins = c.shapes.map((s) => fill(s.reduce((a, b) => a * b, 1), next));
      const outLen = entry.buffers[steps[0].outs[0]].shape.reduce((a: number, d) => a * (typeof d === 'number' ? d : dims[d as string]), 1);
      const whole = new Float32Array(outLen).fill(NaN);
      const sc = scratchFor(entry, steps[0], dims);
      fn(ins, [whole, ...sc], dims);
      for (const chunks of [2, 3, 5, 1000]) {
        const out = new Float32Array(outLen).fill(NaN);
        const b = chunkBounds(extent, align, chunks);
        for (let k = 1; k < b.length - 1; k++) assert.is(b[k] % align, 0, 'chunk starts are aligned');
        // the pre and post phases (none in a one-node kernel), the chunks last to first
        const o = [out, ...scratchFor(entry, steps[0], dims)];
        fn(ins, o, dims, BEFORE);
        for (let k = b.length - 2; k >= 0; k--) fn(ins, o, dims, { part: 'rows', lo: b[k], hi: b[k + 1] });
        fn(ins, o, dims, AFTER);
        same(whole, out, `${c.op} (${c.note}) in ${b.length - 1} chunks${symbolic ? ', symbolic B' : ''}`);
      }
    }
  });
}

test('chunkBounds: whole units, the last chunk ends at the extent', () => {
  assert.equal([...chunkBounds(150, 4, 4)], [0, 40, 76, 116, 150]);
  assert.equal([...chunkBounds(64, 1, 4)], [0, 16, 32, 48, 64]);
  assert.equal([...chunkBounds(3, 4, 4)], [0, 3]);
  assert.equal([...chunkBounds(10, 1, 100)], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
});

test('resolveThreads: the option wins; 1 and below mean no worker threads', () => {
  assert.is(resolveThreads(1), 1);
  assert.is(resolveThreads(0), 1);
  assert.is(resolveThreads(2), 2);
});

test('the worker runs chunks of a kernel: same output as one thread', async () => {
  const c = CASES[5]; // conv2d same 5x5
  const program = programFromModel(oneNode(c, false));
  const entry = program.entries.predict;
  const step = entry.steps.find((s) => !s.once)!;
  const fn = entry.kernels[step.kernel];
  const pool = threadPool(2);
  if (!pool) return; // no worker threads here
  const next = rng(3);
  const ins = c.shapes.map((s) => {
    const t = sharedArray('f32', s.reduce((a, b) => a * b, 1));
    t.set(fill(t.length, next));
    return t;
  });
  const n = entry.buffers[step.outs[0]].shape.reduce((a: number, d) => a * (d as number), 1);
  const whole = new Float32Array(n);
  fn(ins, [whole, ...scratchFor(entry, step, {})], {});
  const out = sharedArray('f32', n);
  const bounds = chunkBounds(c.shapes[0][0], 1, 9);
  // the workers get their own copies of the scratch; this thread uses `mine`
  const mine = scratchFor(entry, step, {});
  const call = pool.register(fn as KernelFn, ins, [out], {}, bounds, scratchFor(entry, step, {}) as unknown as ScratchArray[]);
  // the worker boots in the background: run until it has taken some chunks (or give up after 3 s)
  let helped = false;
  for (let t = Date.now(); !helped && Date.now() - t < 3000; ) {
    out.fill(NaN);
    pool.run(call, fn, ins, [out, ...mine], {});
    same(whole, out, 'threaded conv2d');
    helped = pool.lastMine < bounds.length - 1;
    if (!helped) await new Promise((r) => setTimeout(r, 20));
  }
  pool.drop([call.id]);
  assert.ok(helped, 'the worker ran some chunks');
});

for (const file of ['bench/models/lenet5.dnn', 'bench/models/mlp784.dnn']) {
  test(`training with threads = without: ${file}`, async () => {
    const res = compileSource(readFileSync(file, 'utf8'), file);
    assert.ok(res.file, res.diagnostics.map((d) => d.message).join('\n'));
    const model = res.file!.models[0];
    const program = programFromModel(model);
    const B = 32;
    const next = rng(11);
    const flat = model.inputs[0].shape.length === 2;
    const image = { data: Float32Array.from({ length: B * 784 }, () => next()), shape: flat ? [B, 784] : [B, 1, 28, 28] };
    const label = { data: Int32Array.from({ length: B }, () => Math.floor(next() * 10)), shape: [B] };
    const m1 = await instantiate(program, { seed: 5, threads: 1 });
    const m2 = await instantiate(program, { seed: 5, threads: 2 });
    for (let i = 0; i < 3; i++) {
      const a = await m1.trainStep({ image, label });
      const b = await m2.trainStep({ image, label });
      assert.ok(Object.is(a.loss, b.loss), `step ${i + 1}: loss ${b.loss} with threads, ${a.loss} without`);
      assert.ok(Number.isFinite(a.loss), `step ${i + 1}: loss ${a.loss}`);
    }
    const w1 = m1.getWeights();
    const w2 = m2.getWeights();
    for (const k of Object.keys(w1)) same(w1[k], w2[k], `weights ${k}`);
    const p1 = await m1.predict({ image });
    const p2 = await m2.predict({ image });
    for (const k of Object.keys(p1)) same(p1[k].data, p2[k].data, `predict ${k}`);
    m1.dispose();
    m2.dispose();
  });
}

test.run();
