/**
 * Every op in the registry, every sample: the generated CPU kernel (through
 * the plan, the in-process program and the runtime) against the op's float64
 * reference, on both kernel sets of the cpu backend (JS, and WebAssembly SIMD
 * where a kernel has a wasm form). Samples are also run with a symbolic
 * leading dim (B) wherever the op's shape rule accepts it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GraphBuilder } from '../../compiler/builder.js';
import type { CompiledModel } from '../../compiler/compiled.js';
import type { Dim } from '../../compiler/dims.js';
import { Graph, type DType } from '../../compiler/ir.js';
import { allOps } from '../../compiler/ops/index.js';
import type { OpDef, OpSample, RefTensor } from '../../compiler/ops/types.js';
import { programFromModel } from '../../codegen/module/plan-model.js';
import { planCpuEntry } from '../../codegen/cpu/plan.js';
import { instantiate } from '../../runtime/index.js';
import type { Tensor } from '../../runtime/types.js';
import { oneNodeModel } from '../helpers/registry.js';

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

function sampleData(s: OpSample['inputs'][number], next: () => number): { dtype: DType; shape: number[]; values: number[] } {
  const dtype = s.dtype ?? 'f32';
  const n = s.shape.reduce((a, b) => a * b, 1);
  const values: number[] = [];
  for (let i = 0; i < n; i++) {
    if (dtype === 'f32') {
      const [lo, hi] = s.range ?? [-1, 1];
      let v = Math.fround(lo + (hi - lo) * next());
      if (s.avoid) for (const a of s.avoid) if (Math.abs(v - a) < 0.05) v = Math.fround(v + 0.1);
      values.push(v);
    } else if (dtype === 'i32') values.push(Math.floor(next() * (s.range?.[1] ?? 5)));
    else values.push(next() < 0.5 ? 0 : 1);
  }
  return { dtype, shape: s.shape, values };
}

function close(got: Tensor, want: RefTensor, label: string): void {
  assert.equal(got.shape, want.shape, `${label}: shape`);
  assert.is(got.dtype, want.dtype, `${label}: dtype`);
  assert.is(got.data.length, want.data.length, `${label}: length`);
  for (let i = 0; i < want.data.length; i++) {
    const a = got.data[i];
    const b = want.data[i];
    if (Number.isNaN(b) && Number.isNaN(a)) continue;
    if (a === b) continue;
    const tol = want.dtype === 'f32' ? 1e-5 * Math.max(1, Math.abs(b)) : 0;
    if (!(Math.abs(a - b) <= tol)) assert.unreachable(`${label}: element ${i} is ${a}, reference ${b} (|diff| ${Math.abs(a - b)})`);
  }
}


/** Replace the leading dim of the highest-rank inputs by B when they agree on it. */
function symbolicShapes(sample: OpSample): { shapes: Dim[][]; B: number } | undefined {
  const ranks = sample.inputs.map((s) => s.shape.length);
  const top = Math.max(...ranks);
  if (top < 1) return undefined;
  const firsts = sample.inputs.filter((s) => s.shape.length === top).map((s) => s.shape[0]);
  if (firsts.some((d) => d !== firsts[0]) || firsts[0] < 2) return undefined;
  return { shapes: sample.inputs.map((s) => (s.shape.length === top ? ['B', ...s.shape.slice(1)] : [...s.shape])), B: firsts[0] };
}

let cases = 0;
let symbolic = 0;
/** cases whose kernel ran as wasm */
const wasmRan = new Set<string>();
const KERNEL_SETS = ['js', 'wasm'] as const;
const usesWasm = (m: unknown) => (m as { impl?: { kernels?: string } }).impl?.kernels === 'wasm';
for (const kernels of KERNEL_SETS)
for (const def of allOps()) {
  def.samples.forEach((sample, si) => {
    const label = `${def.name} #${si}${sample.note ? ` (${sample.note})` : ''} [${kernels}]`;
    const opts = { cpu: { kernels } };
    test(`cpu kernel = reference: ${label}`, async () => {
      const next = rng(1234 + si);
      const data = sample.inputs.map((s) => sampleData(s, next));
      const refIns: RefTensor[] = data.map((d) => ({
        dtype: d.dtype,
        shape: d.shape,
        data: d.dtype === 'f32' ? Float64Array.from(d.values) : Int32Array.from(d.values),
      }));
      const feed = (_dims: Record<string, number>) => {
        const inputs: Record<string, { data: Float32Array | Int32Array | Uint8Array; shape: number[] }> = {};
        data.forEach((d, i) => {
          const arr = d.dtype === 'f32' ? Float32Array.from(d.values) : d.dtype === 'i32' ? Int32Array.from(d.values) : Uint8Array.from(d.values);
          inputs[`x${i}`] = { data: arr, shape: d.shape };
        });
        return inputs;
      };
      const want = def.reference(refIns, sample.attrs ?? {}, {});
      // static shapes
      {
        const program = programFromModel(oneNodeModel(def, data.map((d) => d.shape), data.map((d) => d.dtype), sample.attrs));
        const model = await instantiate(program, opts);
        if (kernels === 'wasm' && program.entries.predict.wasm && Object.keys(program.entries.predict.wasm.kernels).length) {
          assert.ok(usesWasm(model), `${label}: the program has wasm kernels but the backend runs js`);
          wasmRan.add(def.name);
        }
        const out = await model.predict(feed({}));
        want.forEach((w, i) => close(out[`y${i}`], w, `${label} static y${i}`));
        // a second run reuses the buffers and gives the same result
        const again = await model.predict(feed({}));
        want.forEach((w, i) => close(again[`y${i}`], w, `${label} static (second run) y${i}`));
        cases++;
      }
      // symbolic leading dim
      const sym = symbolicShapes(sample);
      if (!sym) return;
      let model: CompiledModel;
      try {
        model = oneNodeModel(def, sym.shapes, data.map((d) => d.dtype), sample.attrs);
      } catch {
        return; // the shape rule needs static dims here (e.g. reshape to a literal shape)
      }
      const m = await instantiate(programFromModel(model), opts);
      const out = await m.predict(feed({ B: sym.B }));
      want.forEach((w, i) => close(out[`y${i}`], w, `${label} symbolic y${i}`));
      symbolic++;
    });
  });
}

test('every op with samples has a CPU kernel path, and symbolic cases ran', () => {
  assert.ok(cases > 80, `only ${cases} static cases ran`);
  assert.ok(symbolic > 40, `only ${symbolic} symbolic cases ran`);
});

test('the heavy ops and the elementwise ops ran as wasm kernels', () => {
  for (const op of ['matmul', 'conv2d', 'conv2d_backprop_input', 'conv2d_backprop_filter', 'maxpool2d', 'maxpool2d_grad', 'reduce_sum', 'add', 'relu', 'sqrt', 'exp'])
    assert.ok(wasmRan.has(op), `${op} never ran as a wasm kernel (ran: ${[...wasmRan].sort().join(', ')})`);
});

test('plan: reshape is a view, temp buffers are reused, kernel names and comments are readable', () => {
  const g = new Graph('p');
  const b = new GraphBuilder(g);
  b.scope = 'M.dense_1';
  const x = b.input('x', 'f32', ['B', 28, 28]);
  const flat = b.reshape(x, ['B', 784]);
  const w = b.param('dense_1.w', 'f32', [784, 16], { kind: 'glorot_uniform' });
  const h = b.op('matmul', [flat, w]);
  const r1 = b.op('relu', [h]);
  const r2 = b.op('relu', [r1]);
  const r3 = b.op('relu', [r2]);
  g.outputs = [{ name: 'y', value: r3 }];
  const plan = planCpuEntry(g, { fuse: false });
  assert.is(plan.kernels[0].name, 'k00_dense_1_matmul');
  assert.is(plan.kernels[0].comment, 'matmul f32[B, 784] @ f32[784, 16] -> f32[B, 16]');
  // the reshape made no step; x's slot feeds the matmul directly
  assert.is(plan.entry.steps.length, 4);
  assert.is(plan.entry.steps[0].ins[0], plan.entry.inputs[0].buffer);
  // r1 -> r2 -> r3 alternate between two temp slots
  const temps = plan.entry.buffers.filter((x) => x.kind === 'temp');
  assert.is(temps.length, 2);
  for (const s of plan.entry.steps) for (const o of s.outs) assert.not.ok(s.ins.includes(o), 'a kernel writes a slot it reads');
  // fused: the matmul and its relu epilogue are one kernel
  const fused = planCpuEntry(g, { fuse: true });
  assert.is(fused.entry.steps.length, 1);
  assert.is(fused.kernels[0].comment, 'matmul + relu + relu + relu f32[B, 784], f32[784, 16] -> f32[B, 16]');
});

test('matmul template: transposes, remainders and batches against the reference', async () => {
  const shapes: [number[], number[], boolean, boolean][] = [
    [[7, 5], [5, 6], false, false],
    [[5, 7], [5, 9], true, false],
    [[7, 5], [9, 5], false, true],
    [[5, 7], [9, 5], true, true],
    [[2, 3, 5], [5, 6], false, false],
    [[3, 6, 5], [3, 5, 7], false, false],
    [[3, 5, 6], [3, 7, 5], true, true],
  ];
  const matmul = allOps().find((d) => d.name === 'matmul')!;
  for (const kernels of KERNEL_SETS)
  for (const [sa, sb, transA, transB] of shapes) {
    const next = rng(7);
    const a = sampleData({ shape: sa }, next);
    const bb = sampleData({ shape: sb }, next);
    const attrs = { transA, transB };
    const want = matmul.reference(
      [a, bb].map((d) => ({ dtype: 'f32' as const, shape: d.shape, data: Float64Array.from(d.values) })),
      attrs,
      {},
    )[0];
    const m = await instantiate(programFromModel(oneNodeModel(matmul, [sa, sb], ['f32', 'f32'], attrs)), { cpu: { kernels } });
    const out = await m.predict({ x0: { data: Float32Array.from(a.values), shape: sa }, x1: { data: Float32Array.from(bb.values), shape: sb } });
    close(out.y0, want, `matmul ${JSON.stringify([sa, sb, transA, transB])} [${kernels}]`);
  }
});

test.run();
