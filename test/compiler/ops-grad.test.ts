/**
 * Gradient checks for every differentiable op in the registry: the gradient
 * graph built by the op's `grad` rule, evaluated by the reference
 * interpreter, against central finite differences (float64) of
 * sum_k(sum(ref_output_k * r_k)) for random cotangents r_k.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GraphBuilder } from '../../compiler/builder.js';
import { evalShape, shapeEq, shapeToString, type Dim, type DimEnv } from '../../compiler/dims.js';
import { evaluate } from '../../compiler/interp.js';
import { Graph, type Attrs, type Value } from '../../compiler/ir.js';
import { allOps, getOp } from '../../compiler/ops/index.js';
import type { OpDef, OpSample, RefTensor, SampleInput } from '../../compiler/ops/types.js';
import { refTensor } from '../../compiler/ops/util.js';

/** mulberry32: a small seeded PRNG so failures reproduce */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomInput(spec: SampleInput, rand: () => number): RefTensor {
  const dtype = spec.dtype ?? 'f32';
  const t = refTensor(dtype, spec.shape);
  for (let i = 0; i < t.data.length; i++) {
    if (dtype === 'bool') t.data[i] = rand() < 0.5 ? 1 : 0;
    else if (dtype === 'i32') t.data[i] = Math.floor(rand() * (spec.range?.[1] ?? 3));
    else {
      const [lo, hi] = spec.range ?? [-1, 1];
      let v: number;
      do v = lo + (hi - lo) * rand();
      while ((spec.avoid ?? []).some((a) => Math.abs(v - a) < 0.05 * (hi - lo)));
      t.data[i] = v;
    }
  }
  return t;
}

function label(def: OpDef, si: number, sample: OpSample): string {
  const shapes = sample.inputs.map((i) => `${i.dtype ?? 'f32'}${shapeToString(i.shape)}`).join(', ');
  return `${def.name} sample ${si} (${shapes}${sample.attrs ? ' ' + JSON.stringify(sample.attrs) : ''})`;
}

const differentiable = allOps().filter((d) => d.grad);

test('there are differentiable ops to check', () => {
  for (const name of ['add', 'mul', 'matmul', 'relu', 'softmax', 'reduce_sum', 'reshape', 'slice', 'concat'])
    assert.ok(differentiable.some((d) => d.name === name), `${name} has a grad rule`);
});

test('every differentiable op has a sample with an f32 input and an f32 output', () => {
  for (const def of differentiable) {
    const ok = def.samples.some((s) => {
      if (!s.inputs.some((i) => (i.dtype ?? 'f32') === 'f32')) return false;
      const g = new Graph('t');
      const b = new GraphBuilder(g);
      const outs = b.opN(def.name, s.inputs.map((inp, k) => b.input(`x${k}`, inp.dtype ?? 'f32', inp.shape)), s.attrs ?? {});
      return outs.some((o) => o.type.dtype === 'f32');
    });
    assert.ok(ok, `op '${def.name}' has a grad rule but no sample exercising it`);
  }
});

/**
 * Builds the op on 'input' leaves of the given (possibly symbolic) shapes, applies its grad rule
 * with random cotangents, evaluates the gradients with the interpreter and compares them to
 * central finite differences of the reference. `dims` binds the symbolic dims.
 */
function checkGrad(def: OpDef, specs: { shape: Dim[]; spec: SampleInput }[], attrs: Attrs, dims: DimEnv, seed: number, what: string): void {
  const rand = rng(seed);
  const xs = specs.map(({ shape, spec }) => randomInput({ ...spec, shape: evalShape(shape, dims) }, rand));
  const g = new Graph(`grad_${def.name}`);
  const b = new GraphBuilder(g);
  const inVals = specs.map(({ shape, spec }, k) => b.input(`x${k}`, spec.dtype ?? 'f32', shape));
  const outs = b.opN(def.name, inVals, attrs);
  const node = outs[0].node;
  const feeds: Record<string, RefTensor> = {};
  xs.forEach((x, k) => (feeds[`x${k}`] = x));
  const r: (RefTensor | undefined)[] = [];
  const dy: (Value | undefined)[] = outs.map((o, k) => {
    if (o.type.dtype !== 'f32') {
      r.push(undefined);
      return undefined;
    }
    const rt = randomInput({ shape: evalShape(o.type.shape, dims) }, rand);
    r.push(rt);
    feeds[`r${k}`] = rt;
    return b.input(`r${k}`, 'f32', o.type.shape);
  });
  if (dy.every((d) => d === undefined)) return; // no f32 output (e.g. cast to i32): nothing to check
  const grads = def.grad!({ b, node, dy });
  assert.is(grads.length, inVals.length, 'one gradient entry per input');
  grads.forEach((gv, k) => {
    if (!gv) return;
    assert.ok(shapeEq(gv.type.shape, inVals[k].type.shape), `gradient ${k} has shape ${shapeToString(gv.type.shape)}, input ${shapeToString(inVals[k].type.shape)}`);
    assert.is(gv.type.dtype, 'f32');
    g.outputs.push({ name: `g${k}`, value: gv });
  });
  const res = evaluate(g, { inputs: feeds, dims });
  const objective = () => {
    let s = 0;
    def.reference(xs, attrs, dims).forEach((o, k) => {
      const rk = r[k];
      if (rk) for (let i = 0; i < o.data.length; i++) s += o.data[i] * rk.data[i];
    });
    return s;
  };
  xs.forEach((x, k) => {
    if (x.dtype !== 'f32') return;
    const analytic = res.outputs[`g${k}`];
    for (let i = 0; i < x.data.length; i++) {
      const orig = x.data[i];
      const eps = 1e-6 * Math.max(1, Math.abs(orig));
      x.data[i] = orig + eps;
      const fp = objective();
      x.data[i] = orig - eps;
      const fm = objective();
      x.data[i] = orig;
      const fd = (fp - fm) / (2 * eps);
      const got = analytic ? analytic.data[i] : 0; // no gradient entry = zero gradient
      const tol = 1e-5 * (1 + Math.abs(fd));
      if (!(Math.abs(got - fd) <= tol)) assert.unreachable(`${what}: d/dx${k}[${i}] analytic ${got} vs finite difference ${fd}`);
    }
  });
}

for (const def of differentiable) {
  def.samples.forEach((sample, si) => {
    const what = label(def, si, sample);
    test(`grad ${what}`, () => {
      const specs = sample.inputs.map((spec) => ({ shape: spec.shape as Dim[], spec }));
      checkGrad(def, specs, sample.attrs ?? {}, {}, 1234 + si * 7919 + def.name.length * 31, what);
    });
  });
}

/** Gradient rules on symbolic shapes (run-time counts, symbolic slice offsets, folded batch dims). */
const symbolic: { op: string; shapes: Dim[][]; attrs?: Attrs }[] = [
  { op: 'reduce_mean', shapes: [['B', 3]], attrs: { axes: [0] } },
  { op: 'reduce_mean', shapes: [['B', 'T']] },
  { op: 'reduce_sum', shapes: [['B', 3]], attrs: { axes: [1], keepdims: true } },
  { op: 'reduce_max', shapes: [['B', 3]], attrs: { axes: [0] } },
  { op: 'concat', shapes: [['B', 2], ['B', 2]], attrs: { axis: 0 } },
  { op: 'concat', shapes: [['B', 2], ['T', 2]], attrs: { axis: 0 } },
  { op: 'slice', shapes: [['B', 'T']], attrs: { axes: [1], starts: [1] } },
  { op: 'slice', shapes: [['B', 'T']], attrs: { axes: [0, 1], starts: [0, 0], ends: [-1, -1] } },
  { op: 'reshape', shapes: [['B', 2, 3]], attrs: { shape: ['B', 6] } },
  { op: 'reshape', shapes: [['B', 2, 3]], attrs: { shape: [-1] } },
  { op: 'matmul', shapes: [['B', 3], [3, 2]] },
  { op: 'matmul', shapes: [['B', 4, 3], [2, 3]], attrs: { transB: true } },
  { op: 'broadcast_to', shapes: [[1, 3]], attrs: { shape: ['B', 3] } },
  { op: 'add', shapes: [['B', 3], [3]] },
  { op: 'mul', shapes: [['B', 1], [1, 'T']] },
  { op: 'softmax', shapes: [['B', 'T']] },
  { op: 'log_softmax', shapes: [['B', 'T']], attrs: { axis: 0 } },
];

symbolic.forEach((c, ci) => {
  const what = `${c.op} on ${c.shapes.map(shapeToString).join(', ')}${c.attrs ? ' ' + JSON.stringify(c.attrs) : ''}`;
  test(`grad (symbolic dims) ${what}`, () => {
    const def = getOp(c.op);
    checkGrad(def, c.shapes.map((shape) => ({ shape, spec: { shape: [] } })), c.attrs ?? {}, { B: 3, T: 4 }, 99 + ci, what);
  });
});

test.run();
