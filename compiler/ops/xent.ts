/**
 * Softmax cross-entropy from logits and integer labels as one op, forward and
 * backward, so a classifier's loss is one kernel each way instead of
 * log_softmax, one_hot, a product, a row sum and, backward, four more.
 *
 *   softmax_cross_entropy(x f32[..., C], label i32[...]) -> f32[...]
 *     loss = logsumexp(x_row) - x_row[label]
 *   softmax_cross_entropy_grad(g f32[...], x f32[..., C], label i32[...]) -> f32[..., C]
 *     dx = g * (softmax(x_row) - onehot(label))
 *
 * A label outside [0, C) selects nothing, as one_hot gives all zeros: its
 * loss and gradient are 0. `g` comes first in the gradient so that its
 * producer (the broadcast of the mean's 1/B) fuses into the kernel's loader.
 * Both are row reductions (pattern kind 'reduce'): one workgroup (WGSL) or
 * one loop (CPU) per row: max, sum of exp, then the outputs.
 */
import type { TensorType } from '../ir.js';
import { expectArity, expectDtype } from './kernel-util.js';
import { ShapeError, type OpDef, type OpSample, type RefTensor } from './types.js';
import { refTensor } from './util.js';

function checkLabels(op: string, x: TensorType, label: TensorType): void {
  expectDtype(op, x, ['f32']);
  expectDtype(op, label, ['i32']);
  const rows = x.shape.slice(0, -1);
  if (x.shape.length < 1 || label.shape.length !== rows.length || label.shape.some((d, i) => d !== rows[i]))
    throw new ShapeError(`${op}: labels must have the logits' shape without the class axis: logits f32[${x.shape.join(', ')}], labels i32[${label.shape.join(', ')}]`, 'DNN0007');
}

/** per row: max, log of the sum of exp(x - max), and the row's start */
function refRows(x: RefTensor, f: (row: number, base: number, m: number, lse: number, C: number) => void): void {
  const C = x.shape[x.shape.length - 1];
  const rows = C === 0 ? 0 : x.data.length / C;
  for (let r = 0; r < rows; r++) {
    const base = r * C;
    let m = -Infinity;
    for (let c = 0; c < C; c++) m = Math.max(m, x.data[base + c]);
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp(x.data[base + c] - m);
    f(r, base, m, Math.log(s), C);
  }
}

const samples: OpSample[] = [
  { inputs: [{ shape: [3, 4], range: [-2, 2] }, { shape: [3], dtype: 'i32', range: [0, 4] }] },
  { inputs: [{ shape: [2, 2, 5], range: [-3, 3] }, { shape: [2, 2], dtype: 'i32', range: [0, 5] }], note: 'batch dims' },
];

export const softmax_cross_entropy: OpDef = {
  name: 'softmax_cross_entropy',
  kind: 'reduce',
  doc: 'per row: logsumexp(x) - x[label] (x f32[..., C], label i32[...]; a label outside [0, C) gives 0)',
  arity: 2,
  attrNames: [],
  infer(inputs) {
    expectArity('softmax_cross_entropy', inputs, 2);
    checkLabels('softmax_cross_entropy', inputs[0], inputs[1]);
    return [{ dtype: 'f32', shape: inputs[0].shape.slice(0, -1) }];
  },
  reference([x, label]) {
    const out = refTensor('f32', x.shape.slice(0, -1));
    refRows(x, (r, base, m, lse, C) => {
      const k = label.data[r];
      out.data[r] = k >= 0 && k < C ? m + lse - x.data[base + k] : 0;
    });
    return [out];
  },
  grad({ b, node, dy }) {
    const g = dy[0];
    if (!g) return [undefined, undefined];
    const [x, label] = node.inputs;
    return [b.op('softmax_cross_entropy_grad', [g, x, label]), undefined];
  },
  samples,
};

export const softmax_cross_entropy_grad: OpDef = {
  name: 'softmax_cross_entropy_grad',
  kind: 'reduce',
  doc: 'g[row] * (softmax(x_row) - onehot(label[row])): the gradient of softmax_cross_entropy (g f32[...], x f32[..., C], label i32[...])',
  arity: 3,
  attrNames: [],
  infer(inputs) {
    expectArity('softmax_cross_entropy_grad', inputs, 3);
    const [g, x, label] = inputs;
    checkLabels('softmax_cross_entropy_grad', x, label);
    expectDtype('softmax_cross_entropy_grad', g, ['f32']);
    if (g.shape.length !== label.shape.length || g.shape.some((d, i) => d !== label.shape[i]))
      throw new ShapeError(`softmax_cross_entropy_grad: g must have the labels' shape: g f32[${g.shape.join(', ')}], labels i32[${label.shape.join(', ')}]`, 'DNN0007');
    return [{ dtype: 'f32', shape: [...x.shape] }];
  },
  reference([g, x, label]) {
    const out = refTensor('f32', x.shape);
    refRows(x, (r, base, m, lse, C) => {
      const k = label.data[r];
      const valid = k >= 0 && k < C;
      for (let c = 0; c < C; c++) out.data[base + c] = valid ? g.data[r] * (Math.exp(x.data[base + c] - m - lse) - (c === k ? 1 : 0)) : 0;
    });
    return [out];
  },
  samples: [
    { inputs: [{ shape: [3] }, { shape: [3, 4], range: [-2, 2] }, { shape: [3], dtype: 'i32', range: [0, 4] }] },
    { inputs: [{ shape: [2, 2] }, { shape: [2, 2, 5], range: [-3, 3] }, { shape: [2, 2], dtype: 'i32', range: [0, 5] }], note: 'batch dims' },
  ],
};
