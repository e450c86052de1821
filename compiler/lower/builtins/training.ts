/** Losses, metrics, data sources, optimizers, schedules and clipping rules used in train blocks. */
import { resolve } from 'node:path';
import { FileError, readFirstLine } from '../../files.js';
import { MAX_HEADER_BYTES } from '../../limits.js';
import type { DataArg, OptimizerSpec, ScheduleSpec } from '../../compiled.js';
import { didYouMean } from '../../diagnostics.js';
import type { Value } from '../../ir.js';
import { shapeEq, shapeToString } from '../../dims.js';
import type { BuiltinImpl, CallContext } from '../builtin.js';
import type { LVal } from '../values.js';

const tensor = (cx: CallContext, v: Value): LVal => ({ kind: 'tensor', v, span: cx.span });

/** `ones` / `zeros` as a target: a tensor of the prediction's shape. */
function target(cx: CallContext, name: string, like: Value): Value {
  const a = cx.args.get(name);
  if (a?.kind === 'sym' && (a.name === 'ones' || a.name === 'zeros')) return cx.op('const', [], { value: a.name === 'ones' ? 1 : 0, dtype: 'f32', shape: like.type.shape });
  if (a?.kind === 'num') return cx.scalar(a.value);
  return cx.args.tensor(name);
}

function meanAll(cx: CallContext, v: Value): Value {
  return v.type.shape.length === 0 ? v : cx.op('reduce_mean', [v], { axes: [], keepdims: false });
}

function pairLoss(name: string, doc: string, body: (cx: CallContext, pred: Value, y: Value) => Value, extra: BuiltinImpl['params'] = []): BuiltinImpl {
  return {
    name,
    kind: 'loss',
    doc,
    params: [{ name: 'pred', type: 'tensor' }, { name: 'target', type: 'any' }, ...extra],
    apply: (cx) => {
      const pred = cx.args.tensor('pred');
      const y = target(cx, 'target', pred);
      if (y.type.dtype !== 'f32') cx.fail('DNN0018', { message: `'${name}' needs an f32 target, got ${y.type.dtype}` }, { span: cx.args.span('target') });
      return tensor(cx, meanAll(cx, body(cx, pred, y)));
    },
  };
}

/**
 * Class ids must lie in [0, classes): against the data set's labels at
 * compile time when they are known (5 logits for MNIST's 10 digits), and on
 * every batch at run time (the error names the sample).
 */
export function checkClasses(cx: CallContext, what: string, logits: Value, label: Value, classes: number): void {
  const fed = cx.dataFeeding(label);
  if (fed?.below !== undefined && fed.below > classes)
    cx.fail(
      'DNN0041',
      { message: `${what}: the logits ${logits.type.dtype}${shapeToString(logits.type.shape)} have ${classes} classes, but the labels come from '${fed.field}' of ${fed.data}, which holds class ids 0 to ${fed.below - 1}` },
      { span: cx.args.span('logits'), help: `give the model ${fed.below} outputs, e.g. end it with dense(${fed.below})` },
    );
  cx.limitInput(label, classes, `${what} over ${classes} classes (logits ${logits.type.dtype}${shapeToString(logits.type.shape)})`, 'classes');
}

/** -sum(onehot(label) * log_softmax(logits), -1), per sample: with class ids one fused op, with probabilities the composition */
function perSampleCrossEntropy(cx: CallContext, logits: Value, label: Value): Value {
  const rank = logits.type.shape.length;
  // the class axis must be static (a located diagnostic otherwise)
  const classes = cx.staticDim(logits, rank - 1, 'the classes of cross_entropy');
  if (label.type.dtype === 'i32') {
    if (label.type.shape.length !== rank - 1)
      cx.fail('DNN0007', {
        message: `cross_entropy: integer labels must have the logits' shape without the class axis: logits f32[${logits.type.shape.join(', ')}], labels i32[${label.type.shape.join(', ')}]`,
      });
    checkClasses(cx, 'cross_entropy', logits, label, classes);
    // one op (and one gradient op): no log-probabilities or one-hot rows in memory
    return cx.op('softmax_cross_entropy', [logits, label]);
  }
  const logitsType = `${logits.type.dtype}${shapeToString(logits.type.shape)}`;
  const labelType = `${label.type.dtype}${shapeToString(label.type.shape)}`;
  if (label.type.dtype !== 'f32')
    cx.fail('DNN0018', { message: `cross_entropy: labels must be i32 class ids or f32 class probabilities, got ${labelType}` }, { span: cx.args.span('label') });
  if (label.type.shape.length === rank - 1 && shapeEq(label.type.shape, logits.type.shape.slice(0, -1)))
    cx.fail(
      'DNN0018',
      { message: `cross_entropy: the labels ${labelType} look like class ids, but class ids must be i32 (f32 labels are class probabilities shaped like the logits ${logitsType})` },
      { span: cx.args.span('label'), help: `declare the labels as integers, e.g. \`label : i32${shapeToString(label.type.shape)}\`` },
    );
  if (!shapeEq(label.type.shape, logits.type.shape))
    cx.fail('DNN0007', {
      message: `cross_entropy: f32 labels are class probabilities and must have the logits' shape ${logitsType}, got ${labelType}; class ids are i32${shapeToString(logits.type.shape.slice(0, -1))}`,
    }, { span: cx.args.span('label') });
  const logp = cx.op('log_softmax', [logits], { axis: -1 });
  return cx.op('neg', [cx.op('reduce_sum', [cx.op('mul', [label, logp])], { axes: [-1], keepdims: false })]);
}

const losses: BuiltinImpl[] = [
  pairLoss('mse', 'mse(pred, target): mean squared error', (cx, p, y) => cx.op('square', [cx.op('sub', [p, y])])),
  pairLoss('mae', 'mae(pred, target): mean absolute error', (cx, p, y) => cx.op('abs', [cx.op('sub', [p, y])])),
  pairLoss(
    'huber',
    'huber(pred, target, delta = 1): quadratic near 0, linear beyond delta',
    (cx, p, y) => {
      const delta = cx.args.num('delta', 1);
      const d = cx.op('abs', [cx.op('sub', [p, y])]);
      const quad = cx.op('mul', [cx.scalar(0.5), cx.op('square', [d])]);
      const lin = cx.op('mul', [cx.scalar(delta), cx.op('sub', [d, cx.scalar(0.5 * delta)])]);
      return cx.op('where', [cx.op('less_equal', [d, cx.scalar(delta)]), quad, lin]);
    },
    [{ name: 'delta', type: 'num', optional: true }],
  ),
  pairLoss('binary_cross_entropy', 'binary_cross_entropy(pred, target): mean of -(target log pred + (1 - target) log(1 - pred)); pred are probabilities in (0, 1) (1e-7 is added inside the logs)', (cx, p, y) => {
    const eps = cx.scalar(1e-7);
    const one = cx.scalar(1);
    const a = cx.op('mul', [y, cx.op('log', [cx.op('add', [p, eps])])]);
    const b = cx.op('mul', [cx.op('sub', [one, y]), cx.op('log', [cx.op('add', [cx.op('sub', [one, p]), eps])])]);
    return cx.op('neg', [cx.op('add', [a, b])]);
  }),
  pairLoss('binary_cross_entropy_with_logits', 'binary_cross_entropy_with_logits(pred, target): binary cross-entropy from logits pred, in the stable form mean(softplus(pred) - pred * target)', (cx, x, y) =>
    cx.op('sub', [cx.op('softplus', [x]), cx.op('mul', [x, y])]),
  ),
  pairLoss('bce_with_logits', 'bce_with_logits(pred, target): binary_cross_entropy_with_logits under a shorter name', (cx, x, y) =>
    cx.op('sub', [cx.op('softplus', [x]), cx.op('mul', [x, y])]),
  ),
  {
    name: 'cross_entropy',
    kind: 'loss',
    doc: 'cross_entropy(logits, label): softmax cross-entropy from logits; label is i32 class ids or f32 probabilities',
    params: [
      { name: 'logits', type: 'tensor' },
      { name: 'label', type: 'tensor' },
    ],
    apply: (cx) => tensor(cx, meanAll(cx, perSampleCrossEntropy(cx, cx.args.tensor('logits'), cx.args.tensor('label')))),
  },
  {
    // PyTorch's kl_div(input = log_q, target = p, reduction = 'batchmean'):
    // sum(p * (log p - log_q)) / size(0), with 0 * log 0 = 0 (log of 1 where p = 0,
    // which also keeps the gradient with respect to p finite there)
    name: 'kl_div',
    kind: 'loss',
    doc: 'kl_div(log_q, p): KL(p || q) from log-probabilities log_q and probabilities p, summed over all but the first axis and averaged over the first (batch) axis; 0 * log 0 = 0',
    params: [
      { name: 'log_q', type: 'tensor' },
      { name: 'p', type: 'tensor' },
    ],
    apply: (cx) => {
      const logq = cx.args.tensor('log_q');
      const p = cx.args.tensor('p');
      for (const [n, v] of [['log_q', logq], ['p', p]] as const)
        if (v.type.dtype !== 'f32') cx.fail('DNN0018', { message: `kl_div: '${n}' must be f32, got ${v.type.dtype}${shapeToString(v.type.shape)}` }, { span: cx.args.span(n) });
      const rank = logq.type.shape.length;
      if (rank === 0) cx.fail('DNN0008', { message: `kl_div needs distributions of rank 1 or more (batch first), got a scalar log_q` }, { span: cx.args.span('log_q') });
      if (!shapeEq(logq.type.shape, p.type.shape))
        cx.fail('DNN0007', { message: `kl_div: log_q f32${shapeToString(logq.type.shape)} and p f32${shapeToString(p.type.shape)} must have the same shape` });
      const positive = cx.op('greater', [p, cx.scalar(0)]);
      const plogp = cx.op('mul', [p, cx.op('log', [cx.op('where', [positive, p, cx.scalar(1)])])]);
      const terms = cx.op('sub', [plogp, cx.op('mul', [p, logq])]);
      const perSample = rank > 1 ? cx.op('reduce_sum', [terms], { axes: Array.from({ length: rank - 1 }, (_, i) => i + 1), keepdims: false }) : terms;
      return tensor(cx, cx.op('reduce_mean', [perSample], { axes: [0], keepdims: false }));
    },
  },
];

const metrics: BuiltinImpl[] = [
  {
    name: 'accuracy',
    kind: 'metric',
    doc: 'accuracy(logits, label, k = 1): share of samples whose label is among the k highest logits',
    params: [
      { name: 'logits', type: 'tensor' },
      { name: 'label', type: 'tensor' },
      { name: 'k', type: 'int', optional: true },
    ],
    apply: (cx) => {
      const logits = cx.args.tensor('logits');
      let label = cx.args.tensor('label');
      if (label.type.dtype === 'f32') label = cx.op('argmax', [label], { axis: -1, keepdims: false });
      const k = cx.args.int('k', 1);
      if (k < 1) cx.fail('DNN0022', { message: `accuracy: k must be at least 1, got ${k}` }, { span: cx.args.span('k') });
      if (k === 1) {
        const pred = cx.op('argmax', [logits], { axis: -1, keepdims: false });
        const hit = cx.op('cast', [cx.op('equal', [pred, label])], { dtype: 'f32' });
        return { kind: 'metric', name: 'accuracy', v: meanAll(cx, hit), span: cx.span };
      }
      // top-k: the label's logit is beaten by fewer than k others
      const classes = cx.staticDim(logits, logits.type.shape.length - 1, 'the classes of accuracy');
      const hot = cx.op('one_hot', [label], { depth: classes });
      const own = cx.op('reduce_sum', [cx.op('mul', [logits, hot])], { axes: [-1], keepdims: true });
      const beaten = cx.op('reduce_sum', [cx.op('cast', [cx.op('greater', [logits, own])], { dtype: 'f32' })], { axes: [-1], keepdims: false });
      const hit = cx.op('cast', [cx.op('less', [beaten, cx.scalar(k)])], { dtype: 'f32' });
      return { kind: 'metric', name: `top${k}_accuracy`, v: meanAll(cx, hit), span: cx.span };
    },
  },
  {
    name: 'mean_loss',
    kind: 'metric',
    doc: 'mean_loss(x): report a scalar expression averaged over samples',
    params: [{ name: 'x', type: 'tensor' }],
    apply: (cx) => ({ kind: 'metric', name: 'mean_loss', v: meanAll(cx, cx.args.tensor('x')), span: cx.span }),
  },
];

function dataArg(v: LVal | undefined): DataArg | undefined {
  if (!v) return undefined;
  switch (v.kind) {
    case 'num':
    case 'bool':
    case 'str':
      return v.value;
    case 'sym':
      return v.name;
    case 'list':
      return v.items.map((i) => (i.kind === 'num' ? i.value : NaN));
    default:
      return undefined;
  }
}

function dataset(name: string, doc: string, params: BuiltinImpl['params'], check?: (cx: CallContext) => void): BuiltinImpl {
  return {
    name,
    kind: 'data',
    doc,
    params,
    apply: (cx) => {
      check?.(cx);
      const args: Record<string, DataArg> = {};
      params.forEach((p, i) => {
        const v = dataArg(cx.args.get(p.name));
        if (v !== undefined) args[p.name === 'path' ? '0' : p.name] = v;
        void i;
      });
      return { kind: 'data', spec: { name, args }, span: cx.span };
    },
  };
}

/**
 * When the CSV file is there at compile time, a missing label column is a
 * located diagnostic, and so is a path that is not a readable regular file.
 */
function checkCsvColumns(cx: CallContext): void {
  const file = cx.args.str('path');
  const label = cx.args.str('label');
  if (!file || cx.sourceDir === undefined) return;
  let header: string;
  try {
    // the header only, and only from a regular file: compiling never reads the data itself
    header = readFirstLine(resolve(cx.sourceDir, file), MAX_HEADER_BYTES);
  } catch (e) {
    if (!(e instanceof FileError)) throw e;
    if (e.code === 'ENOENT') return; // not there yet: the runtime reports it when training starts
    return cx.fail('DNN0035', { message: `csv: '${file}': ${e.reason}` }, { span: cx.args.span('path') });
  }
  if (label === undefined) return;
  const columns = header.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
  if (!columns.includes(label))
    cx.fail(
      'DNN0029',
      { message: `'${file}' has no column '${label}'${didYouMean(label, columns)} (its columns: ${columns.map((c) => `'${c}'`).join(', ')})` },
      { span: cx.args.span('label') },
    );
}

const splitCheck = (cx: CallContext) => void cx.args.sym('split', ['train', 'validation', 'test'], 'train');

const datasets: BuiltinImpl[] = [
  dataset(
    'csv',
    'csv(path, label): a CSV file with a header row, e.g. csv("loans.csv", label: "default"): every numeric column but the label becomes features f32[k]; label is i32 when every value is an integer, else f32; paths are relative to the .dnn file',
    [
      { name: 'path', type: 'str' },
      { name: 'label', type: 'any' },
    ],
    checkCsvColumns,
  ),
  dataset(
    'mnist',
    'mnist(split: train|validation|test, scale = [0, 1]): 10,000 handwritten digits (7,000 train, 1,000 validation, 2,000 test), image f32[1, 28, 28] with pixels in the scale range, label i32 0..9',
    [
      { name: 'split', type: 'sym', optional: true },
      { name: 'scale', type: 'list', optional: true },
    ],
    (cx) => {
      splitCheck(cx);
      const scale = cx.args.get('scale');
      if (scale?.kind !== 'list') return;
      const items = scale.items.map((i) => (i.kind === 'num' ? i.value : NaN));
      if (items.length !== 2 || !items.every(Number.isFinite) || !(items[0] < items[1]))
        cx.fail('DNN0022', { message: `mnist: scale must be a pixel range [lo, hi] of two numbers with lo < hi, e.g. scale: [-1, 1]` }, { span: cx.args.span('scale') });
    },
  ),
];

function optimizer(kind: OptimizerSpec['kind'], doc: string, defaults: Record<string, number>): BuiltinImpl {
  const names = Object.keys(defaults);
  return {
    name: kind,
    kind: 'optimizer',
    doc,
    params: names.map((name) => ({ name, type: 'num', optional: true })),
    apply: (cx) => {
      const options: Record<string, number> = {};
      for (const n of names) options[n] = cx.args.num(n, defaults[n]);
      if (!(options.lr > 0)) cx.fail('DNN0022', { message: `the learning rate must be positive, got ${options.lr}` });
      const { lr, ...rest } = options;
      return { kind: 'optimizer', spec: { kind, lr, options: rest }, span: cx.span };
    },
  };
}

const optimizers: BuiltinImpl[] = [
  optimizer('sgd', 'sgd(lr = 0.01, momentum = 0, weight_decay = 0): w -= lr * g; with momentum, v = momentum * v + g and w -= lr * v (PyTorch\'s form, no dampening); weight_decay adds weight_decay * w to the gradient (L2)', { lr: 0.01, momentum: 0, weight_decay: 0 }),
  optimizer('momentum', 'momentum(lr = 0.01, momentum = 0.9, weight_decay = 0): sgd with momentum: v = momentum * v + g, w -= lr * v; weight_decay adds weight_decay * w to the gradient (L2)', { lr: 0.01, momentum: 0.9, weight_decay: 0 }),
  optimizer('nesterov', 'nesterov(lr = 0.01, momentum = 0.9, weight_decay = 0): v = momentum * v + g, w -= lr * (g + momentum * v) (PyTorch\'s nesterov = true); weight_decay adds weight_decay * w to the gradient (L2)', { lr: 0.01, momentum: 0.9, weight_decay: 0 }),
  optimizer('adam', 'adam(lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0): Adam with bias correction: w -= lr * m_hat / (sqrt(v_hat) + eps); weight_decay adds weight_decay * w to the gradient (L2)', { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0 }),
  optimizer('adamw', 'adamw(lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.01): Adam with decoupled weight decay: w -= lr * (m_hat / (sqrt(v_hat) + eps) + weight_decay * w)', {
    lr: 1e-3,
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
    weight_decay: 0.01,
  }),
  optimizer('rmsprop', 'rmsprop(lr = 1e-3, rho = 0.9, eps = 1e-8, weight_decay = 0): s = rho * s + (1 - rho) * g^2, w -= lr * g / (sqrt(s) + eps) (eps outside the root, as Keras); weight_decay adds weight_decay * w to the gradient (L2)', { lr: 1e-3, rho: 0.9, eps: 1e-8, weight_decay: 0 }),
  optimizer('adagrad', 'adagrad(lr = 0.01, eps = 1e-10, weight_decay = 0): s += g^2, w -= lr * g / (sqrt(s) + eps); s starts at 0; weight_decay adds weight_decay * w to the gradient (L2)', { lr: 0.01, eps: 1e-10, weight_decay: 0 }),
];

/** `optional` options have no default: absent means "let the runtime decide" (cosine's total = the whole run). */
function schedule(kind: ScheduleSpec['kind'], doc: string, defaults: Record<string, number>, optional: string[] = []): BuiltinImpl {
  const names = Object.keys(defaults);
  return {
    name: kind,
    kind: 'schedule',
    doc,
    params: [...names, ...optional].map((name) => ({ name, type: 'num', optional: true })),
    apply: (cx) => {
      const options: Record<string, number> = {};
      for (const n of names) options[n] = cx.args.num(n, defaults[n]);
      for (const n of optional) if (cx.args.has(n)) options[n] = cx.args.num(n);
      return { kind: 'schedule', spec: { kind, options }, span: cx.span };
    },
  };
}

const schedules: BuiltinImpl[] = [
  schedule('constant', 'constant(): the optimizer learning rate throughout', {}),
  schedule('step', 'step(step_size = 1000, gamma = 0.1): multiply by gamma every step_size steps', { step_size: 1000, gamma: 0.1 }),
  schedule('exponential', 'exponential(gamma = 0.999): multiply by gamma every step', { gamma: 0.999 }),
  schedule('cosine', 'cosine(warmup = 0, min_lr = 0, total?): linear warm-up then cosine decay to min_lr by step `total` (default: the end of the run)', { warmup: 0, min_lr: 0 }, ['total']),
  schedule('warmup', 'warmup(warmup = 100): linear warm-up, then constant', { warmup: 100 }),
];

const clipping: BuiltinImpl[] = [
  {
    name: 'norm',
    kind: 'clip',
    doc: 'norm(max): scale all gradients by max / max(norm, max), norm being the global L2 norm over every parameter (PyTorch\'s clip_grad_norm_)',
    params: [{ name: 'max', type: 'num' }],
    apply: (cx) => ({ kind: 'clip', norm: cx.args.num('max'), span: cx.span }),
  },
];

export const trainingBuiltins: BuiltinImpl[] = [...losses, ...metrics, ...datasets, ...optimizers, ...schedules, ...clipping];
