/**
 * Shared by the registry-wide backend tests (cpu, webgpu, gpujs): one-node
 * models of an op, the typed data of its registry samples, and the loop that
 * registers one test per sample of every op a backend renders.
 */
import { GraphBuilder } from '../../compiler/builder.js';
import type { CompiledModel } from '../../compiler/compiled.js';
import type { Dim } from '../../compiler/dims.js';
import { Graph, type DType } from '../../compiler/ir.js';
import { allOps } from '../../compiler/ops/index.js';
import * as leaves from '../../compiler/ops/leaves.js';
import * as unary from '../../compiler/ops/unary.js';
import * as binary from '../../compiler/ops/binary.js';
import * as reduce from '../../compiler/ops/reduce.js';
import * as shape from '../../compiler/ops/shape.js';
import * as linalg from '../../compiler/ops/linalg.js';
import type { OpDef, OpSample } from '../../compiler/ops/types.js';
import type { TypedArray } from '../../runtime/types.js';
import { test } from 'uvu';
import { rng } from '../webgpu/helpers.js';

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


/** The sample's shapes with the leading dim of the highest-rank inputs made symbolic (B), when they agree. */
export function symbolicShapes(sample: OpSample): Dim[][] | undefined {
  const ranks = sample.inputs.map((s) => s.shape.length);
  const top = Math.max(...ranks);
  if (top < 1) return undefined;
  const firsts = sample.inputs.filter((s) => s.shape.length === top).map((s) => s.shape[0]);
  if (firsts.some((d) => d !== firsts[0]) || firsts[0] < 2) return undefined;
  return sample.inputs.map((s) => (s.shape.length === top ? ['B', ...s.shape.slice(1)] : [...s.shape]));
}

export type Feed = Record<string, { data: TypedArray; shape: number[] }>;

/**
 * Registers one test per registry sample of every op `renders` accepts:
 * `compare` gets the one-node model at the sample's static shapes, then, where
 * the shape rule accepts it, with a symbolic leading dim (B), with the same
 * seeded feed. `ready()` false skips a test (no adapter). Returns how many
 * samples ran, for a test that they did.
 */
export function registrySampleTests(
  backend: string,
  renders: (op: string) => boolean,
  compare: (model: CompiledModel, feed: Feed, label: string) => Promise<void>,
  ready: () => Promise<boolean> = async () => true,
): () => number {
  let cases = 0;
  for (const def of allOps()) {
    if (def.kind === 'leaf' || !renders(def.name)) continue;
    def.samples.forEach((sample, si) => {
      const label = `${def.name} #${si}${sample.note ? ` (${sample.note})` : ''}`;
      test(`${backend} = cpu: ${label}`, async () => {
        if (!(await ready())) return;
        const next = rng(4321 + si);
        const data = sample.inputs.map((s) => sampleData(s, next));
        const feed: Feed = {};
        data.forEach((d, i) => (feed[`x${i}`] = { data: d.data, shape: d.shape }));
        await compare(oneNodeModel(def, data.map((d) => d.shape), data.map((d) => d.dtype), sample.attrs), feed, `${label} static`);
        cases++;
        const sym = symbolicShapes(sample);
        if (!sym) return;
        let model: CompiledModel;
        try {
          model = oneNodeModel(def, sym, data.map((d) => d.dtype), sample.attrs);
        } catch {
          return; // the shape rule needs static dims here
        }
        await compare(model, feed, `${label} symbolic`);
      });
    });
  }
  return () => cases;
}

/** The ops of the families every backend must render (leaves, unary, binary, reduce, shape, linalg). */
export function coreFamilyOps(): Set<string> {
  const mine = new Set<string>();
  for (const family of [leaves, unary, binary, reduce, shape, linalg])
    for (const v of Object.values(family) as unknown[])
      if (v && typeof v === 'object' && typeof (v as OpDef).name === 'string' && typeof (v as OpDef).infer === 'function') mine.add((v as OpDef).name);
  return mine;
}
