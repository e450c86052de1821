/**
 * Shared by the registry-wide backend tests (cpu, webgpu, gpujs): one-node
 * models of an op and the typed data of its registry samples.
 */
import { GraphBuilder } from '../../compiler/builder.js';
import type { CompiledModel } from '../../compiler/compiled.js';
import type { Dim } from '../../compiler/dims.js';
import { Graph, type DType } from '../../compiler/ir.js';
import type { OpDef, OpSample } from '../../compiler/ops/types.js';
import type { TypedArray } from '../../runtime/types.js';

/** Typed data for a sample input: f32 in its range (kept off its kinks), i32 in [0, range[1]), bool 0/1. */
export function sampleData(s: OpSample['inputs'][number], next: () => number): { dtype: DType; shape: number[]; data: TypedArray } {
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
  const data = dtype === 'f32' ? Float32Array.from(values) : dtype === 'i32' ? Int32Array.from(values) : Uint8Array.from(values);
  return { dtype, shape: s.shape, data };
}

/** A model of one node of `def` over inputs x0.. with outputs y0.. */
export function oneNodeModel(def: OpDef, shapes: Dim[][], dtypes: DType[], attrs: OpSample['attrs']): CompiledModel {
  const g = new Graph(def.name);
  const b = new GraphBuilder(g);
  b.scope = `T.${def.name}`;
  const ins = shapes.map((s, i) => b.input(`x${i}`, dtypes[i], s));
  const outs = b.opN(def.name, ins, attrs ?? {});
  g.outputs = outs.map((v, i) => ({ name: `y${i}`, value: v }));
  return {
    name: def.name,
    inputs: ins.map((v, i) => ({ name: `x${i}`, dtype: v.type.dtype, shape: v.type.shape })),
    outputs: outs.map((v, i) => ({ name: `y${i}`, dtype: v.type.dtype, shape: v.type.shape })),
    params: [],
    state: [],
    predict: g,
  };
}

