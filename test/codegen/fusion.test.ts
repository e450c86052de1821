/**
 * Fusion differential tests: random graphs of registry ops (fast-check)
 * compiled with and without fusion and memory reuse give the same results
 * on the CPU. Fused loops round every f32 intermediate like a store would,
 * so the results must be identical, not merely close.
 */
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { programFromModel } from '../../codegen/module/plan-model.js';
import { GraphBuilder } from '../../compiler/builder.js';
import type { CompiledModel } from '../../compiler/compiled.js';
import { Graph, type Value } from '../../compiler/ir.js';
import { fuseGraph } from '../../compiler/passes/fuse.js';
import { instantiate } from '../../runtime/index.js';

const UNARY = ['relu', 'tanh', 'sigmoid', 'neg', 'square', 'abs'] as const;
const BINARY = ['add', 'sub', 'mul', 'maximum', 'minimum'] as const;

type Step =
  | { kind: 'unary'; op: (typeof UNARY)[number]; a: number }
  | { kind: 'binary'; op: (typeof BINARY)[number]; a: number; b: number }
  | { kind: 'reduce'; a: number }
  | { kind: 'softmax'; a: number }
  | { kind: 'matmul'; a: number }
  | { kind: 'scale'; a: number; c: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('unary' as const), op: fc.constantFrom(...UNARY), a: fc.nat() }),
  fc.record({ kind: fc.constant('binary' as const), op: fc.constantFrom(...BINARY), a: fc.nat(), b: fc.nat() }),
  fc.record({ kind: fc.constant('reduce' as const), a: fc.nat() }),
  fc.record({ kind: fc.constant('softmax' as const), a: fc.nat() }),
  fc.record({ kind: fc.constant('matmul' as const), a: fc.nat() }),
  fc.record({ kind: fc.constant('scale' as const), a: fc.nat(), c: fc.double({ min: -2, max: 2, noNaN: true }) }),
);

/** Build a model from the steps: a pool of values, each step adds one; shapes broadcast where needed. */
function build(steps: Step[], outs: number[]): CompiledModel {
  const g = new Graph('fuzz.predict');
  const b = new GraphBuilder(g);
  const x = b.input('x', 'f32', ['B', 5]);
  const y = b.input('y', 'f32', [5]);
  const z = b.input('z', 'f32', ['B', 1]);
  const w = b.param('w', 'f32', [5, 5], { kind: 'glorot_uniform', fanIn: 5, fanOut: 5 });
  const pool: Value[] = [x, y, z];
  const pick = (i: number) => pool[i % pool.length];
  const full = (v: Value) => v.type.shape.length === 2 && v.type.shape[1] === 5;
  for (const s of steps) {
    const a = pick(s.a);
    switch (s.kind) {
      case 'unary':
        pool.push(b.op(s.op, [a]));
        break;
      case 'binary':
        pool.push(b.op(s.op, [a, pick(s.b)])); // every pair of [B,5], [5], [B,1] broadcasts
        break;
      case 'reduce':
        if (full(a)) pool.push(b.op('reduce_sum', [a], { axes: [-1], keepdims: true }));
        break;
      case 'softmax':
        if (full(a)) pool.push(b.op('softmax', [a], { axis: -1 }));
        break;
      case 'matmul':
        if (full(a)) pool.push(b.op('matmul', [a, w], { transA: false, transB: false }));
        break;
      case 'scale':
        pool.push(b.mul(a, b.scalar(s.c)));
        break;
    }
  }
  const chosen = [...new Set([pool.length - 1, ...outs.map((o) => 3 + (o % Math.max(1, pool.length - 3)))])].filter((i) => i >= 3 && i < pool.length);
  if (chosen.length === 0) chosen.push(pool.length - 1);
  g.outputs = chosen.map((i, k) => ({ name: `o${k}`, value: pool[i] }));
  return {
    name: 'Fuzz',
    inputs: [
      { name: 'x', dtype: 'f32', shape: ['B', 5] },
      { name: 'y', dtype: 'f32', shape: [5] },
      { name: 'z', dtype: 'f32', shape: ['B', 1] },
    ],
    outputs: g.outputs.map((o) => ({ name: o.name, dtype: o.value.type.dtype, shape: o.value.type.shape })),
    params: [{ path: 'w', dtype: 'f32', shape: [5, 5], init: { kind: 'glorot_uniform', fanIn: 5, fanOut: 5 } }],
    state: [],
    predict: g,
  };
}

test('random graphs: fused and unfused CPU programs compute identical results', async () => {
  const inputs = {
    x: Float32Array.from({ length: 15 }, (_, i) => Math.sin(i * 1.7)),
    y: Float32Array.from({ length: 5 }, (_, i) => Math.cos(i)),
    z: Float32Array.from({ length: 3 }, (_, i) => i - 1),
  };
  let fusedSomething = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 2, maxLength: 14 }), fc.array(fc.nat(), { maxLength: 2 }), async (steps, outs) => {
      const model = build(steps, outs);
      const plan = fuseGraph(model.predict);
      if (plan.groups.some((grp) => grp.nodes.length > 1)) fusedSomething++;
      const fused = await instantiate(programFromModel(model), { seed: 1 });
      const plain = await instantiate(programFromModel(model, { fuse: false, reuse: false }), { seed: 1 });
      const a = await fused.predict(inputs);
      const b = await plain.predict(inputs);
      for (const name of Object.keys(b)) {
        assert.equal(a[name].shape, b[name].shape);
        for (let i = 0; i < b[name].data.length; i++) {
          const p = a[name].data[i];
          const q = b[name].data[i];
          if (!(p === q || (Number.isNaN(p) && Number.isNaN(q)))) throw new Error(`${name}[${i}]: fused ${p} vs unfused ${q}`);
        }
      }
      fused.dispose();
      plain.dispose();
    }),
    { numRuns: 60, seed: 20261126 },
  );
  assert.ok(fusedSomething > 20, `only ${fusedSomething} of 60 random graphs fused anything`);
});

test('a model compiled with and without fusion trains identically (same weights, same losses)', async () => {
  const { compileSource } = await import('../../compiler/compile.js');
  const r = compileSource(
    `model M { input x: f32[B, 6]  output y: f32[B, 3]  y = x |> dense(8) |> relu |> layernorm |> dense(3) }
     train M { label: i32[B]  loss = cross_entropy(y, label)  optimizer = adam(lr: 0.01) }`,
    'm.dnn',
  );
  const m = r.file!.models[0];
  const fused = await instantiate(programFromModel(m), { seed: 4 });
  const plain = await instantiate(programFromModel(m, { fuse: false, reuse: false }), { seed: 4 });
  const batch = { x: Float32Array.from({ length: 24 }, (_, i) => Math.sin(i)), label: Int32Array.from([0, 1, 2, 1]) };
  for (let s = 0; s < 5; s++) {
    const a = await fused.trainStep(batch);
    const b = await plain.trainStep(batch);
    assert.is(a.loss, b.loss, `step ${s + 1}`);
  }
  const wa = fused.getWeights();
  const wb = plain.getWeights();
  for (const k of Object.keys(wb)) assert.equal(Array.from(wa[k]), Array.from(wb[k]), k);
});

test.run();
