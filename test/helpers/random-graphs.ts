/**
 * Random graphs of registry ops for the fusion differential tests (fast-check):
 * a pool of values over inputs x [B, 5], y [5], z [B, 1] and a weight [5, 5];
 * each step adds an op whose operands broadcast.
 */
import fc from 'fast-check';
import { GraphBuilder } from '../../compiler/builder.js';
import type { CompiledModel } from '../../compiler/compiled.js';
import { Graph, type Value } from '../../compiler/ir.js';

const UNARY = ['relu', 'tanh', 'sigmoid', 'neg', 'square', 'abs'] as const;
const BINARY = ['add', 'sub', 'mul', 'maximum', 'minimum'] as const;

type Step =
  | { kind: 'unary'; op: (typeof UNARY)[number]; a: number }
  | { kind: 'binary'; op: (typeof BINARY)[number]; a: number; b: number }
  | { kind: 'reduce'; a: number }
  | { kind: 'softmax'; a: number }
  | { kind: 'matmul'; a: number }
  | { kind: 'scale'; a: number; c: number };

export const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('unary' as const), op: fc.constantFrom(...UNARY), a: fc.nat() }),
  fc.record({ kind: fc.constant('binary' as const), op: fc.constantFrom(...BINARY), a: fc.nat(), b: fc.nat() }),
  fc.record({ kind: fc.constant('reduce' as const), a: fc.nat() }),
  fc.record({ kind: fc.constant('softmax' as const), a: fc.nat() }),
  fc.record({ kind: fc.constant('matmul' as const), a: fc.nat() }),
  fc.record({ kind: fc.constant('scale' as const), a: fc.nat(), c: fc.double({ min: -2, max: 2, noNaN: true }) }),
);

/** Build a model from the steps: a pool of values, each step adds one; shapes broadcast where needed. */
export function build(steps: Step[], outs: number[]): CompiledModel {
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


export const fuzzInputs = {
  x: Float32Array.from({ length: 15 }, (_, i) => Math.sin(i * 1.7)),
  y: Float32Array.from({ length: 5 }, (_, i) => Math.cos(i)),
  z: Float32Array.from({ length: 3 }, (_, i) => i - 1),
};
