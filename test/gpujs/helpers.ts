/**
 * Test helpers for the gpujs backend (not a test file): one-node models of
 * registry ops with their sample inputs, and the comparison of two backends.
 * In Node the gpujs tests run gpu.js in its `cpu` mode (always available;
 * headless-gl is not installed here); the WebGL path is tested in Chromium
 * (test/browser).
 */
import * as assert from 'uvu/assert';
import { GraphBuilder } from '../../compiler/builder.js';
import type { CompiledModel } from '../../compiler/compiled.js';
import type { Dim } from '../../compiler/dims.js';
import { Graph, type DType } from '../../compiler/ir.js';
import type { OpDef, OpSample } from '../../compiler/ops/types.js';
import type { Tensor, TypedArray } from '../../runtime/types.js';
import { assertClose } from '../webgpu/helpers.js';

export { assertClose, rng } from '../webgpu/helpers.js';

/** Tolerance per dtype: f32 relative 1e-4 (gpu.js float math, other rounding of intermediates), i32 and bool exact. */
export const TOLERANCE: Record<DType, number> = { f32: 1e-4, i32: 0, bool: 0 };

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

/** The sample's shapes with the leading dim of the highest-rank inputs made symbolic (B), when they agree. */
export function symbolicShapes(sample: OpSample): Dim[][] | undefined {
  const ranks = sample.inputs.map((s) => s.shape.length);
  const top = Math.max(...ranks);
  if (top < 1) return undefined;
  const firsts = sample.inputs.filter((s) => s.shape.length === top).map((s) => s.shape[0]);
  if (firsts.some((d) => d !== firsts[0]) || firsts[0] < 2) return undefined;
  return sample.inputs.map((s) => (s.shape.length === top ? ['B', ...s.shape.slice(1)] : [...s.shape]));
}

export function sameTensor(got: Tensor, want: Tensor, label: string): void {
  assert.equal(got.shape, want.shape, `${label}: shape`);
  assert.is(got.dtype, want.dtype, `${label}: dtype`);
  assertClose(got.data, want.data, label, TOLERANCE[want.dtype]);
}
