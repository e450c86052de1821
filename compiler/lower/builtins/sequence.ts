/**
 * Built-ins of the sequence-model work that are not layers: positions
 * (arange), cast, and the sequence metrics (token_accuracy, loss_ratio,
 * skill, and metric(x, name) to report any scalar under a name). The data
 * sets of the sequence examples are registered by examples/dnnc.data.ts.
 */
import { shapeEq, shapeToString } from '../../dims.js';
import type { Value } from '../../ir.js';
import type { BuiltinImpl, CallContext } from '../builtin.js';
import { asDim, type LVal } from '../values.js';

const tensor = (cx: CallContext, v: Value): LVal => ({ kind: 'tensor', v, span: cx.span });
const metric = (cx: CallContext, name: string, v: Value): LVal => ({ kind: 'metric', name, v, span: cx.span });
const meanAll = (cx: CallContext, v: Value): Value => (v.type.shape.length === 0 ? v : cx.op('reduce_mean', [v], { axes: [], keepdims: false }));
const sumAll = (cx: CallContext, v: Value): Value => cx.op('reduce_sum', [v], { axes: [], keepdims: false });

/** Checks that labels are the logits' shape without the class axis (i32). */
function checkLabels(cx: CallContext, logits: Value, label: Value): number {
  const rank = logits.type.shape.length;
  if (label.type.dtype !== 'i32' || label.type.shape.length !== rank - 1 || !shapeEq(label.type.shape, logits.type.shape.slice(0, -1)))
    cx.fail('DNN0007', {
      message: `${cx.callee}: labels must be i32 class ids of the logits' shape without the class axis: logits ${logits.type.dtype}${shapeToString(logits.type.shape)}, labels ${label.type.dtype}${shapeToString(label.type.shape)}`,
    });
  return cx.staticDim(logits, rank - 1, `the classes of ${cx.callee}`);
}

const fns: BuiltinImpl[] = [
  {
    name: 'arange',
    kind: 'fn',
    doc: 'arange(n): the positions 0, 1, ..., n - 1 as f32[n] (n may be a symbolic dim such as T)',
    params: [{ name: 'n', type: 'dim' }],
    apply: (cx) => {
      const n = asDim(cx.args.get('n')!)!;
      if (typeof n === 'number' && n < 1) cx.fail('DNN0022', { message: `arange: n must be positive, got ${n}` }, { span: cx.args.span('n') });
      return tensor(cx, cx.op('iota', [], { shape: [n], axis: 0 }));
    },
  },
  {
    name: 'cast',
    kind: 'fn',
    doc: 'cast(x, dtype: f32 | i32 | bool): convert the element type (f32 -> i32 truncates toward zero)',
    params: [
      { name: 'x', type: 'tensor' },
      { name: 'dtype', type: 'sym' },
    ],
    apply: (cx) => tensor(cx, cx.op('cast', [cx.args.tensor('x')], { dtype: cx.args.sym('dtype', ['f32', 'i32', 'bool']) })),
  },
];

const metrics: BuiltinImpl[] = [
  {
    name: 'metric',
    kind: 'metric',
    doc: 'metric(x, name): report a scalar expression (averaged over samples) under a name, e.g. metric(mse(y, target), name: mse)',
    params: [
      { name: 'x', type: 'tensor' },
      { name: 'name', type: 'sym' },
    ],
    apply: (cx) => {
      const x = cx.args.tensor('x');
      if (x.type.dtype !== 'f32') cx.fail('DNN0018', { message: `metric: the value must be f32, got ${x.type.dtype}${shapeToString(x.type.shape)}` });
      return metric(cx, cx.args.str('name')!, meanAll(cx, x));
    },
  },
  {
    name: 'token_accuracy',
    kind: 'metric',
    doc: 'token_accuracy(logits, label, mask?): share of positions whose label has the highest logit; with mask (f32, 1 = counts) only the masked-in positions count',
    params: [
      { name: 'logits', type: 'tensor' },
      { name: 'label', type: 'tensor' },
      { name: 'mask', type: 'tensor', optional: true },
    ],
    apply: (cx) => {
      const logits = cx.args.tensor('logits');
      const label = cx.args.tensor('label');
      checkLabels(cx, logits, label);
      const pred = cx.op('argmax', [logits], { axis: -1, keepdims: false });
      const hit = cx.op('cast', [cx.op('equal', [pred, label])], { dtype: 'f32' });
      const mask = cx.args.optTensor('mask');
      if (!mask) return metric(cx, 'token_accuracy', meanAll(cx, hit));
      if (mask.type.dtype !== 'f32' || !shapeEq(mask.type.shape, label.type.shape))
        cx.fail('DNN0007', { message: `token_accuracy: mask must be f32 of the labels' shape ${shapeToString(label.type.shape)}, got ${mask.type.dtype}${shapeToString(mask.type.shape)}` }, { span: cx.args.span('mask') });
      const kept = sumAll(cx, cx.op('mul', [hit, mask]));
      const count = cx.op('maximum', [sumAll(cx, mask), cx.scalar(1)]);
      return metric(cx, 'token_accuracy', cx.op('div', [kept, count]));
    },
  },
  {
    name: 'loss_ratio',
    kind: 'metric',
    doc: 'loss_ratio(logits, label): mean softmax cross-entropy divided by ln(classes), the cross-entropy of uniform guessing (1 = no better than chance)',
    params: [
      { name: 'logits', type: 'tensor' },
      { name: 'label', type: 'tensor' },
    ],
    apply: (cx) => {
      const logits = cx.args.tensor('logits');
      const label = cx.args.tensor('label');
      const classes = checkLabels(cx, logits, label);
      const logp = cx.op('log_softmax', [logits], { axis: -1 });
      const picked = cx.op('reduce_sum', [cx.op('mul', [logp, cx.op('one_hot', [label], { depth: classes })])], { axes: [-1], keepdims: false });
      return metric(cx, 'loss_ratio', cx.op('mul', [meanAll(cx, picked), cx.scalar(-1 / Math.log(classes))]));
    },
  },
  {
    name: 'skill',
    kind: 'metric',
    doc: 'skill(pred, target, reference_mse): 1 - mse(pred, target) / reference_mse, the forecast skill against a reference forecast whose mean squared error over the data set is given per sample (the seasonal data set gives persistence_mse)',
    params: [
      { name: 'pred', type: 'tensor' },
      { name: 'target', type: 'tensor' },
      { name: 'reference_mse', type: 'tensor' },
    ],
    apply: (cx) => {
      const pred = cx.args.tensor('pred');
      const target = cx.args.tensor('target');
      const ref = cx.args.tensor('reference_mse');
      if (!shapeEq(pred.type.shape, target.type.shape))
        cx.fail('DNN0007', { message: `skill: pred ${shapeToString(pred.type.shape)} and target ${shapeToString(target.type.shape)} must have the same shape` });
      const mse = meanAll(cx, cx.op('square', [cx.op('sub', [pred, target])]));
      // 1 - mse / ref per batch; its batch mean is exact when ref is one number for the whole set
      return metric(cx, 'skill', cx.op('sub', [cx.scalar(1), cx.op('div', [mse, meanAll(cx, ref)])]));
    },
  },
];

export const sequenceBuiltins: BuiltinImpl[] = [...fns, ...metrics];
