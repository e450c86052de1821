/**
 * Shared by the sequence-model cross-backend tests (not a test file):
 * examples/reverse (Transformer encoder: embedding, iota, attention with a
 * padding mask, gather of the label log-probs), examples/adding (LSTM) and
 * examples/charlm (embedding + LSTM language model), read from the examples
 * and shrunk (small dims, short sequences, batch 4), and the comparison of a
 * backend against cpu: predict, 3 Adam steps (losses, metrics), the weights
 * after them, and predict again.
 *
 * charlm runs 8 steps, not 32: an lstm returning sequences joins its T step
 * outputs with ONE concat node of T inputs, so its kernel binds T + 1
 * storage buffers, and WebGPU adapters allow 8 to 12 per shader stage
 * (SwiftShader: 12); at T = 32 Dawn rejects the pipeline. Known limitation
 * of the lstm lowering (compiler/lower/builtins/layers/recurrent.ts), not of the
 * sequence ops.
 */
import '../../examples/dnnc.data.js'; // the examples' data sets (loans, ring, the sequence sets)
import { readFileSync } from 'node:fs';
import * as assert from 'uvu/assert';
import { compileSource } from '../../compiler/compile.js';
import type { CompiledModel } from '../../compiler/compiled.js';
import { programFromModel } from '../../codegen/module/plan-model.js';
import { instantiate } from '../../runtime/index.js';
import type { CreateOptions, TensorInput } from '../../runtime/types.js';
import { assertClose, rng } from './helpers.js';

/** `text` with every `from` replaced by `to`; fails when `from` is absent (the example changed). */
function shrink(text: string, edits: [string, string][], file: string): string {
  for (const [from, to] of edits) {
    assert.ok(text.includes(from), `${file}: expected to find '${from}' to shrink the model`);
    text = text.split(from).join(to);
  }
  return text;
}

function compile(file: string, edits: [string, string][]): CompiledModel {
  const res = compileSource(shrink(readFileSync(file, 'utf8'), edits, file), file);
  assert.equal(res.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), [], `${file} compiles`);
  return res.file!.models.find((m) => m.train) ?? res.file!.models[0];
}

type Batch = Record<string, TensorInput>;

export interface SeqCase {
  name: string;
  model: () => CompiledModel;
  /** predict inputs (seeded) */
  inputs: (seed: number) => Batch;
  /** a training batch: the inputs plus label/target (seeded) */
  batch: (seed: number) => Batch;
  /**
   * weights whose gradient is zero in exact arithmetic, so that Adam turns
   * rounding noise into steps of ±lr: compared to within 2 × steps × lr
   */
  noisy?: { path: RegExp; lr: number; why: string };
}

const B = 4;

function ints(n: number, hi: number, seed: number, lo = 0): Int32Array {
  const next = rng(seed);
  return Int32Array.from({ length: n }, () => lo + Math.floor(next() * (hi - lo)));
}

/** reverse: T = 8 positions, D = 16, vocabulary 11; sequences of 3..8 tokens from 1..10, padded with 0. */
function reversal(seed: number): { tokens: Int32Array; mask: Float32Array; label: Int32Array } {
  const T = 8;
  const next = rng(seed);
  const tokens = new Int32Array(B * T);
  const mask = new Float32Array(B * T);
  const label = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    const L = 3 + Math.floor(next() * (T - 2));
    for (let j = 0; j < L; j++) {
      tokens[b * T + j] = 1 + Math.floor(next() * 10);
      mask[b * T + j] = 1;
    }
    for (let j = 0; j < L; j++) label[b * T + j] = tokens[b * T + L - 1 - j];
  }
  return { tokens, mask, label };
}

export const SEQ_CASES: SeqCase[] = [
  {
    name: 'examples/reverse (Transformer encoder)',
    model: () =>
      compile('examples/reverse/reverse.dnn', [
        ['param V = 11, T = 16, D = 64', 'param V = 11, T = 8, D = 16'],
        ['[B, 16', '[B, 8'],
      ]),
    noisy: {
      path: /\.key\.bias$/,
      lr: 3e-3,
      why: 'the key bias adds q·b to every score of a query, which softmax ignores: its gradient is rounding noise',
    },
    inputs: (seed) => {
      const r = reversal(seed);
      return { tokens: { data: r.tokens, shape: [B, 8] }, mask: { data: r.mask, shape: [B, 8] } };
    },
    batch: (seed) => {
      const r = reversal(seed);
      return { tokens: { data: r.tokens, shape: [B, 8] }, mask: { data: r.mask, shape: [B, 8] }, label: { data: r.label, shape: [B, 8] } };
    },
  },
  {
    name: 'examples/adding (LSTM)',
    model: () =>
      compile('examples/adding/adding.dnn', [
        ['f32[B, 50, 2]', 'f32[B, 10, 2]'],
        ['lstm(units: 32', 'lstm(units: 8'],
      ]),
    inputs: (seed) => ({ x: { data: adding(seed).x, shape: [B, 10, 2] } }),
    batch: (seed) => {
      const a = adding(seed);
      return { x: { data: a.x, shape: [B, 10, 2] }, target: { data: a.y, shape: [B, 1] } };
    },
  },
  {
    name: 'examples/charlm (embedding + LSTM)',
    model: () =>
      compile('examples/charlm/charlm.dnn', [
        ['i32[B, 32]', 'i32[B, 8]'],
        ['f32[B, 32, 28]', 'f32[B, 8, 28]'],
        ['embedding(vocab: V, dim: 24)', 'embedding(vocab: V, dim: 8)'],
        ['lstm(units: 64)', 'lstm(units: 12)'],
      ]),
    inputs: (seed) => ({ tokens: { data: ints(B * 8, 28, seed), shape: [B, 8] } }),
    batch: (seed) => ({ tokens: { data: ints(B * 8, 28, seed), shape: [B, 8] }, label: { data: ints(B * 8, 28, seed + 1000), shape: [B, 8] } }),
  },
];

/** the adding problem, 10 steps: values in [0, 1), markers at one position of each half; target their sum */
function adding(seed: number): { x: Float32Array; y: Float32Array } {
  const T = 10;
  const next = rng(seed);
  const x = new Float32Array(B * T * 2);
  const y = new Float32Array(B);
  for (let b = 0; b < B; b++) {
    const m1 = Math.floor(next() * (T / 2));
    const m2 = T / 2 + Math.floor(next() * (T / 2));
    for (let t = 0; t < T; t++) {
      x[(b * T + t) * 2] = Math.fround(next());
      if (t === m1 || t === m2) {
        x[(b * T + t) * 2 + 1] = 1;
        y[b] += x[(b * T + t) * 2];
      }
    }
  }
  return { x, y };
}

export interface CompareTolerance {
  /** predict outputs and losses (relative to max(1, |cpu|)) */
  values: number;
  /** weights after the 3 steps */
  weights: number;
}

/**
 * `options`' backend against cpu on one case: predict, 3 Adam steps (same
 * batches), weights, predict after training. Returns the largest weight
 * difference seen (for the report).
 */
export async function compareSeqCase(c: SeqCase, options: CreateOptions, tol: CompareTolerance): Promise<number> {
  const program = programFromModel(c.model());
  const cpu = await instantiate(program, { backend: 'cpu', seed: 7 });
  const other = await instantiate(program, { ...options, seed: 7 });
  try {
    assert.is(other.backend, options.backend);
    const x = c.inputs(1);
    const p1 = await cpu.predict(x);
    const p2 = await other.predict(x);
    for (const k of Object.keys(p1)) assertClose(p2[k].data, p1[k].data, `${c.name}: predict ${k}`, tol.values);
    const lc: number[] = [];
    const lo: number[] = [];
    for (let s = 0; s < 3; s++) {
      const batch = c.batch(10 + s);
      const rc = await cpu.trainStep(batch);
      const ro = await other.trainStep(batch);
      assert.ok(Number.isFinite(rc.loss), `${c.name}: cpu loss of step ${s + 1} is finite`);
      lc.push(rc.loss, ...Object.values(rc.metrics));
      lo.push(ro.loss, ...Object.values(ro.metrics));
    }
    assertClose(lo, lc, `${c.name}: losses and metrics of 3 adam steps`, tol.values);
    const wc = cpu.getWeights();
    const wo = await other.readWeights();
    let worst = 0;
    for (const path of Object.keys(wc)) {
      if (c.noisy?.path.test(path)) {
        // noise-driven Adam steps: each of the 3 moves at most about lr either way
        assertClose(wo[path], wc[path], `${c.name}: weights ${path} (${c.noisy.why})`, 2 * 3 * c.noisy.lr * 1.01);
        continue;
      }
      assertClose(wo[path], wc[path], `${c.name}: weights ${path}`, tol.weights);
      for (let i = 0; i < wc[path].length; i++) worst = Math.max(worst, Math.abs(wo[path][i] - wc[path][i]));
    }
    const q1 = await cpu.predict(x);
    const q2 = await other.predict(x);
    for (const k of Object.keys(q1)) assertClose(q2[k].data, q1[k].data, `${c.name}: predict after training ${k}`, tol.values);
    return worst;
  } finally {
    cpu.dispose();
    other.dispose();
  }
}
