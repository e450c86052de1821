/**
 * Shared by the numeric tests: a seeded generator, random reference tensors,
 * and the training-step gradient check. The check compiles nothing itself:
 * given a model whose train block uses sgd(lr: 1), the step graph's update
 * of a parameter p is p - g, so g = p - update; each g is compared with
 * central finite differences of the step graph's loss (float64 reference
 * interpreter), which also holds for layers that behave differently when
 * training (batchnorm, dropout).
 */
import * as assert from 'uvu/assert';
import type { CompiledModel } from '../../compiler/compiled.js';
import { evaluate } from '../../compiler/interp.js';
import type { RefTensor } from '../../compiler/ops/types.js';

/** mulberry32 scaled to [0, 1). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform in [-1, 1) for f32; integers in [0, max) for i32. */
export function tensor(shape: number[], r: () => number, dtype: 'f32' | 'i32' = 'f32', max = 1): RefTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = dtype === 'f32' ? Float64Array.from({ length: n }, () => r() * 2 - 1) : Int32Array.from({ length: n }, () => Math.floor(r() * max));
  return { dtype, shape, data };
}

export const scalar = (v: number): RefTensor => ({ dtype: 'f32', shape: [], data: Float64Array.of(v) });

export interface StepGradCheck {
  /** inputs of the step (hyper inputs lr = 1 and step = 1 are added) */
  inputs: Record<string, RefTensor>;
  seed?: number;
  /** parameters are drawn in [-scale, scale) */
  paramScale?: number;
  /** check at most this many elements per parameter, spread over it (default: all) */
  perParam?: number;
  /** absolute part of the tolerance (relative part 1e-4) */
  atol?: number;
  /** the least number of gradient elements that must be checked */
  atLeast?: number;
}

/** Autodiff of a compiled training step against finite differences; returns how many elements were checked. */
export function checkStepGradients(model: CompiledModel, o: StepGradCheck): number {
  const step = model.train!.step;
  const r = rng(o.seed ?? 7);
  const inputs = { ...o.inputs, lr: scalar(1), step: scalar(1) };
  const params: Record<string, RefTensor> = {};
  for (const p of model.params) {
    const t = tensor(p.shape, r);
    for (let i = 0; i < t.data.length; i++) t.data[i] *= o.paramScale ?? 1;
    params[p.path] = t;
  }
  const state: Record<string, RefTensor> = {};
  for (const s of model.state) state[s.path] = tensor(s.shape, r);
  const res = evaluate(step, { inputs, params, state });
  const lossAt = (ps: Record<string, RefTensor>) => evaluate(step, { inputs, params: ps, state }).outputs.loss.data[0];
  const atol = o.atol ?? 1e-5;
  let checked = 0;
  for (const p of model.params) {
    const upd = res.updates[p.path];
    assert.ok(upd, `no update for ${p.path}`);
    const n = upd.data.length;
    const limit = o.perParam ?? n;
    const idx = n <= limit ? [...Array(n).keys()] : Array.from({ length: limit }, (_, k) => Math.floor((k * n) / limit));
    for (const i of idx) {
      const analytic = params[p.path].data[i] - upd.data[i];
      const h = 1e-6;
      const moved = (d: number) => ({ ...params, [p.path]: { ...params[p.path], data: Float64Array.from(params[p.path].data, (v, k) => (k === i ? v + d : v)) } });
      const numeric = (lossAt(moved(h)) - lossAt(moved(-h))) / (2 * h);
      assert.ok(Math.abs(analytic - numeric) <= atol + 1e-4 * Math.abs(numeric), `${p.path}[${i}]: autodiff ${analytic} vs finite differences ${numeric}`);
      checked++;
    }
  }
  assert.ok(checked >= (o.atLeast ?? 10), `only ${checked} gradient elements checked`);
  return checked;
}
