/**
 * Dense and general-purpose layers: dense, flatten, reshape, layernorm,
 * batchnorm, dropout, stop_gradient and the noise sources. Layers with
 * weights allocate parameters named by their place: `Model.dense_1.weight`,
 * or `Model.fc1.weight` with `name: fc1`.
 */
import { dimProduct, shapeToString, type Dim } from '../../../dims.js';
import type { Value } from '../../../ir.js';
import { saltOf } from '../../../ops/random.js';
import type { BuiltinImpl } from '../../builtin.js';
import { asDim, describe } from '../../values.js';
import { ACTIVATIONS, activate, INITS, initFor } from './common.js';

export const dense: BuiltinImpl = {
  name: 'dense',
  kind: 'layer',
  doc: 'dense(x, units, activation?, bias = true, init = he_normal for relu else glorot_uniform, name?): x @ W + b over the last axis',
  reference: {
    shapes: "f32[B, in] -> f32[B, units], or f32[B, T, in] -> f32[B, T, units]",
    weights: ["weight [in, units] (y = x @ weight: Keras's layout; PyTorch's Linear stores the transpose): he_normal when activation is relu, else glorot_uniform, or `init`", "bias [units]: zeros (with bias = true)"],
    notes: ["activation leaky_relu has slope 0.01 and elu alpha 1; silu is x * sigmoid(x)"],
  },
  params: [
    { name: 'x', type: 'tensor' },
    { name: 'units', type: 'int' },
    { name: 'activation', type: 'sym', optional: true },
    { name: 'bias', type: 'bool', optional: true },
    { name: 'init', type: 'sym', optional: true },
    { name: 'name', type: 'sym', optional: true },
  ],
  apply(cx) {
    const x = cx.args.tensor('x');
    const rank = x.type.shape.length;
    if (rank < 2 || rank > 3)
      cx.fail(
        'DNN0008',
        { message: `dense expects a tensor of rank 2 or 3 (features on the last axis), got f32[${x.type.shape.join(', ')}] of rank ${rank}` },
        { help: rank > 3 ? 'did you forget flatten? e.g. `|> flatten |> dense(...)`' : 'add a batch axis, e.g. f32[B, n]' },
      );
    const units = cx.args.int('units');
    if (units <= 0) cx.fail('DNN0022', { message: `dense needs a positive number of units, got ${units}` }, { span: cx.args.span('units') });
    const fanIn = cx.staticDim(x, rank - 1, 'the input features of dense');
    const activation = cx.args.sym('activation', ACTIVATIONS, 'none');
    const initKind = cx.args.sym('init', INITS, activation === 'relu' ? 'he_normal' : 'glorot_uniform');
    const path = cx.layerPath('dense');
    const w = cx.param(`${path}.weight`, [fanIn, units], initFor(initKind, fanIn, units));
    let y = cx.op('matmul', [x, w], { transA: false, transB: false });
    if (cx.args.bool('bias', true)) {
      const b = cx.param(`${path}.bias`, [units], { kind: 'zeros' });
      y = cx.op('add', [y, b]);
    }
    return { kind: 'tensor', v: activate(cx, activation, y), span: cx.span };
  },
};

export const flatten: BuiltinImpl = {
  name: 'flatten',
  kind: 'layer',
  doc: 'flatten(x): [B, d1, d2, ...] -> [B, d1*d2*...]',
  reference: {
    shapes: "[B, d1, d2, ...] -> [B, d1 * d2 * ...]",
  },
  params: [{ name: 'x', type: 'tensor' }],
  apply(cx) {
    const x = cx.args.tensor('x');
    const [first, ...rest] = x.type.shape;
    if (first === undefined) cx.fail('DNN0008', { message: 'flatten needs a tensor of rank 1 or more, got a scalar' });
    return { kind: 'tensor', v: cx.op('reshape', [x], { shape: [first, dimProduct(rest)] }), span: cx.span };
  },
};

/** reshape(x, d1, d2, ...) keeps the batch axis: [B, ...] -> [B, d1, d2, ...]; one dim may be -1. */
export const reshape: BuiltinImpl = {
  name: 'reshape',
  kind: 'layer',
  doc: 'reshape(x, d1, d2, ...): keeps the first (batch) axis and reshapes the rest; one dim may be -1',
  reference: {
    shapes: "[B, ...] -> [B, d1, d2, ...] (the same number of elements per sample)",
  },
  params: [{ name: 'x', type: 'tensor' }],
  variadic: true,
  apply(cx) {
    const x = cx.args.tensor('x');
    const dims: Dim[] = cx.args.rest.map((r) => {
      if (r.kind === 'num' && Number.isInteger(r.value)) return r.value;
      if (r.kind === 'dim') return r.dim;
      if (r.kind === 'list') cx.fail('DNN0017', { message: `reshape takes the dims as separate arguments: reshape(64, 7, 7)` }, { span: r.span });
      return cx.fail('DNN0017', { message: `reshape dims must be integers or dims` }, { span: r.span });
    });
    if (dims.length === 0) cx.fail('DNN0006', { callee: 'reshape', name: 'dims' });
    return { kind: 'tensor', v: cx.op('reshape', [x], { shape: [x.type.shape[0], ...dims] }), span: cx.span };
  },
};

export const layernorm: BuiltinImpl = {
  name: 'layernorm',
  kind: 'layer',
  doc: 'layernorm(x, eps = 1e-5, name?): normalise the last axis, then scale and shift (learned)',
  reference: {
    shapes: "the shape of x",
    weights: ["scale [D]: ones", "shift [D]: zeros"],
    notes: ["normalises the last axis D with its biased variance: (x - mean) / sqrt(var + eps)"],
  },
  params: [
    { name: 'x', type: 'tensor' },
    { name: 'eps', type: 'num', optional: true },
    { name: 'name', type: 'sym', optional: true },
  ],
  apply(cx) {
    const x = cx.args.tensor('x');
    const rank = x.type.shape.length;
    const d = cx.staticDim(x, rank - 1, 'the normalised axis of layernorm');
    const path = cx.layerPath('layernorm');
    const gamma = cx.param(`${path}.scale`, [d], { kind: 'ones' });
    const beta = cx.param(`${path}.shift`, [d], { kind: 'zeros' });
    const mean = cx.op('reduce_mean', [x], { axes: [-1], keepdims: true });
    const centered = cx.op('sub', [x, mean]);
    const variance = cx.op('reduce_mean', [cx.op('square', [centered])], { axes: [-1], keepdims: true });
    const inv = cx.op('rsqrt', [cx.op('add', [variance, cx.scalar(cx.args.num('eps', 1e-5))])]);
    const y = cx.op('add', [cx.op('mul', [cx.op('mul', [centered, inv]), gamma]), beta]);
    return { kind: 'tensor', v: y, span: cx.span };
  },
};

/**
 * batchnorm: per channel (axis 1 of [N, C, H, W], the last axis of [B, D] or
 * [B, T, D]) y = (x - mean) / sqrt(var + eps) * scale + shift. Train mode uses
 * the batch statistics (biased variance) and moves the running statistics
 * (model state) toward them: r = momentum * r + (1 - momentum) * batch.
 * Predict and evaluate use the running statistics.
 */
export const batchnorm: BuiltinImpl = {
  name: 'batchnorm',
  kind: 'layer',
  doc: 'batchnorm(x, momentum = 0.9, eps = 1e-5, name?): normalise each channel (axis 1 of [N, C, H, W], else the last axis) with batch statistics in training and running statistics otherwise, then scale and shift (learned)',
  reference: {
    shapes: "the shape of x; channels are axis 1 of [N, C, H, W], else the last axis of [B, D] or [B, T, D]",
    weights: ["scale [C]: ones", "shift [C]: zeros", "running_mean [C]: zeros (model state, not trained)", "running_var [C]: ones (model state, not trained)"],
    notes: ["momentum has Keras's meaning: running = momentum * running + (1 - momentum) * batch statistic; PyTorch's momentum is 1 minus this (PyTorch 0.1 = dnnc 0.9)", "training steps normalise with the batch mean and biased variance and move the running statistics (the variance too is the biased one); predict and evaluate use the running statistics"],
  },
  params: [
    { name: 'x', type: 'tensor' },
    { name: 'momentum', type: 'num', optional: true },
    { name: 'eps', type: 'num', optional: true },
    { name: 'name', type: 'sym', optional: true },
  ],
  apply(cx) {
    const x = cx.args.tensor('x');
    const rank = x.type.shape.length;
    if (rank < 2 || rank > 4)
      cx.fail('DNN0008', { message: `batchnorm expects [N, C, H, W], [B, D] or [B, T, D]; got ${x.type.dtype}${shapeToString(x.type.shape)} of rank ${rank}` });
    const axis = rank === 4 ? 1 : rank - 1;
    const C = cx.staticDim(x, axis, 'the normalised channels of batchnorm');
    const momentum = cx.args.num('momentum', 0.9);
    if (!(momentum >= 0 && momentum <= 1)) cx.fail('DNN0022', { message: `batchnorm: momentum must be in [0, 1], got ${momentum}` }, { span: cx.args.span('momentum') });
    const eps = cx.args.num('eps', 1e-5);
    if (!(eps > 0)) cx.fail('DNN0022', { message: `batchnorm: eps must be positive, got ${eps}` }, { span: cx.args.span('eps') });
    const axes = Array.from({ length: rank }, (_, i) => i).filter((i) => i !== axis);
    const path = cx.layerPath('batchnorm');
    const bshape = rank === 4 ? [1, C, 1, 1] : [C];
    const perChannel = (v: Value) => (rank === 4 ? cx.op('reshape', [v], { shape: bshape }) : v);
    const scale = perChannel(cx.param(`${path}.scale`, [C], { kind: 'ones' }));
    const shift = perChannel(cx.param(`${path}.shift`, [C], { kind: 'zeros' }));
    const runMean = cx.state(`${path}.running_mean`, [C], { kind: 'zeros' });
    const runVar = cx.state(`${path}.running_var`, [C], { kind: 'ones' });
    let centered: Value;
    let variance: Value;
    if (cx.mode === 'train') {
      const mean = cx.op('reduce_mean', [x], { axes, keepdims: true });
      centered = cx.op('sub', [x, mean]);
      variance = cx.op('reduce_mean', [cx.op('square', [centered])], { axes, keepdims: true });
      const move = (run: Value, batch: Value) =>
        cx.op('add', [cx.op('mul', [run, cx.scalar(momentum)]), cx.op('mul', [cx.op('reshape', [batch], { shape: [C] }), cx.scalar(1 - momentum)])]);
      cx.update(`${path}.running_mean`, move(runMean, mean));
      cx.update(`${path}.running_var`, move(runVar, variance));
    } else {
      centered = cx.op('sub', [x, perChannel(runMean)]);
      variance = perChannel(runVar);
    }
    const inv = cx.op('rsqrt', [cx.op('add', [variance, cx.scalar(eps)])]);
    const y = cx.op('add', [cx.op('mul', [cx.op('mul', [centered, inv]), scale]), shift]);
    return { kind: 'tensor', v: y, span: cx.span };
  },
};

/**
 * dropout: identity outside training; in a training step
 * y = x * (u >= rate) / (1 - rate) with u = random_uniform(step, seed) salted
 * by the layer path, so every layer and step draws its own reproducible mask.
 */
export const dropout: BuiltinImpl = {
  name: 'dropout',
  kind: 'layer',
  doc: 'dropout(x, rate = 0.5): in training, zero each element with probability rate and scale the rest by 1 / (1 - rate); identity otherwise',
  reference: {
    shapes: "the shape of x",
    notes: ["inverted dropout: kept elements are scaled by 1 / (1 - rate) in training, so predict and evaluate need no scaling", "each layer and step draws its own mask, reproducible for a seed"],
  },
  params: [
    { name: 'x', type: 'tensor' },
    { name: 'rate', type: 'num', optional: true },
  ],
  apply(cx) {
    const x = cx.args.tensor('x');
    const rate = cx.args.num('rate', 0.5);
    if (!(rate >= 0 && rate < 1)) cx.fail('DNN0022', { message: `dropout: rate must be in [0, 1), got ${rate}` }, { span: cx.args.span('rate') });
    if (x.type.dtype !== 'f32') cx.fail('DNN0018', { message: `dropout expects an f32 tensor, got ${x.type.dtype}${shapeToString(x.type.shape)}` });
    const path = cx.layerPath('dropout');
    if (cx.mode !== 'train' || rate === 0) return { kind: 'tensor', v: x, span: cx.span };
    const u = cx.op('random_uniform', [cx.hyper('step'), cx.hyper('seed')], { shape: x.type.shape, salt: saltOf(path) });
    const keep = cx.op('cast', [cx.op('greater_equal', [u, cx.scalar(rate)])], { dtype: 'f32' });
    const mask = cx.op('mul', [keep, cx.scalar(1 / (1 - rate))]);
    return { kind: 'tensor', v: cx.op('mul', [x, mask]), span: cx.span };
  },
};

export const stopGradient: BuiltinImpl = {
  name: 'stop_gradient',
  kind: 'layer',
  doc: 'stop_gradient(x): x itself, but no gradient flows back through it (a GAN discriminator step on generated images, DQN targets)',
  reference: {
    shapes: "the shape of x",
  },
  params: [{ name: 'x', type: 'tensor' }],
  apply(cx) {
    return { kind: 'tensor', v: cx.op('stop_gradient', [cx.args.tensor('x')]), span: cx.span };
  },
};

/**
 * noise(d1, d2, ...) / uniform_noise(d1, ...): a fresh random tensor of the
 * given shape (dims may be symbolic, e.g. noise(B, 64)), salted by the call
 * site's path so that every call draws its own numbers. In a training step it
 * is keyed by the runtime's step count and seed: every step a new draw,
 * reproducible for a given seed. Predict is keyed the same way by the count of
 * predict calls (a fresh draw per call, the sequence reproducible for the
 * model's seed); predict with options.seed keys it by that seed and step 0
 * (the same output every call: deterministic inference). Evaluate draws as
 * step 0, so validation metrics are comparable between epochs.
 */
export function noiseLayer(name: 'noise' | 'uniform_noise', op: 'random_normal' | 'random_uniform', what: string): BuiltinImpl {
  return {
    name,
    kind: 'layer',
    doc: `${name}(d1, d2, ...): ${what} of shape [d1, d2, ...] (dims may be symbolic, e.g. ${name}(B, 64)); a new draw every training step and every predict call, keyed by the model's seed; predict(inputs, { seed }) draws the same every call`,
    reference: {
      shapes: 'f32[d1, d2, ...]',
      notes: [
        'a new draw every training step and every predict call; the sequence of draws is reproducible for the model\'s seed (create({ seed }))',
        'deterministic inference: predict(inputs, { seed: n }) draws from n alone, the same output for the same inputs and n on every call (dnnc predict --seed n)',
        'evaluate draws the same every call (step 0), so validation metrics compare between epochs',
      ],
    },
    params: [],
    variadic: true,
    apply(cx) {
      const dims: Dim[] = cx.args.rest.map((r) => {
        const dim = asDim(r);
        if (dim === undefined)
          return cx.fail('DNN0017', { message: `${name} takes its dims as separate arguments (integers or dims like B), got ${describe(r)}` }, { span: r.span });
        if (typeof dim === 'number' && dim < 1) return cx.fail('DNN0022', { message: `${name}: dims must be positive, got ${dim}` }, { span: r.span });
        return dim;
      });
      if (dims.length === 0) cx.fail('DNN0006', { callee: name, name: 'dims' }, { help: `e.g. ${name}(B, 64)` });
      const path = cx.layerPath(name);
      // evaluate: step 0; train: the optimizer step; predict: the count of predict calls, or 0 with a given seed (runtime/model.ts)
      const step = cx.mode === 'evaluate' ? cx.scalar(0) : cx.hyper('step');
      return { kind: 'tensor', v: cx.op(op, [step, cx.hyper('seed')], { shape: dims, salt: saltOf(path) }), span: cx.span };
    },
  };
}
