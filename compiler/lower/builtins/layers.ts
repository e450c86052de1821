/**
 * Standard layers, written over registry primitives (small core: autodiff,
 * fusion and codegen only see the primitives). Layers with weights allocate
 * parameters named by their place: `Model.dense_1.weight`, or `Model.fc1.weight`
 * with `name: fc1`.
 */
import { didYouMean } from '../../diagnostics.js';
import { dimProduct, shapeToString, type Dim } from '../../dims.js';
import type { InitSpec, Value } from '../../ir.js';
import { saltOf } from '../../ops/random.js';
import { UPSAMPLE_MODES } from '../../ops/resize.js';
import type { BuiltinImpl, CallContext } from '../builtin.js';
import { asDim, describe, type LVal } from '../values.js';

const INITS = ['zeros', 'ones', 'he_normal', 'he_uniform', 'glorot_uniform', 'glorot_normal', 'normal', 'uniform'] as const;
const ACTIVATIONS = ['none', 'relu', 'sigmoid', 'tanh', 'gelu', 'softplus', 'leaky_relu', 'elu'] as const;

function initFor(kind: string, fanIn: number, fanOut: number): InitSpec {
  switch (kind) {
    case 'normal':
      return { kind: 'normal', std: 0.05 };
    case 'uniform':
      return { kind: 'uniform', limit: 0.05 };
    default:
      return { kind: kind as InitSpec['kind'], fanIn, fanOut };
  }
}

const dense: BuiltinImpl = {
  name: 'dense',
  kind: 'layer',
  doc: 'dense(x, units, activation?, bias = true, init = he_normal for relu else glorot_uniform, name?): x @ W + b over the last axis',
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
    if (activation !== 'none') y = cx.op(activation, [y], activation === 'leaky_relu' ? { alpha: 0.01 } : activation === 'elu' ? { alpha: 1 } : {});
    return { kind: 'tensor', v: y, span: cx.span };
  },
};

const flatten: BuiltinImpl = {
  name: 'flatten',
  kind: 'layer',
  doc: 'flatten(x): [B, d1, d2, ...] -> [B, d1*d2*...]',
  params: [{ name: 'x', type: 'tensor' }],
  apply(cx) {
    const x = cx.args.tensor('x');
    const [first, ...rest] = x.type.shape;
    if (first === undefined) cx.fail('DNN0008', { message: 'flatten needs a tensor of rank 1 or more, got a scalar' });
    return { kind: 'tensor', v: cx.op('reshape', [x], { shape: [first, dimProduct(rest)] }), span: cx.span };
  },
};

/** reshape(x, d1, d2, ...) keeps the batch axis: [B, ...] -> [B, d1, d2, ...]; one dim may be -1. */
const reshape: BuiltinImpl = {
  name: 'reshape',
  kind: 'layer',
  doc: 'reshape(x, d1, d2, ...): keeps the first (batch) axis and reshapes the rest; one dim may be -1',
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

const layernorm: BuiltinImpl = {
  name: 'layernorm',
  kind: 'layer',
  doc: 'layernorm(x, eps = 1e-5, name?): normalise the last axis, then scale and shift (learned)',
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

// ------------------------------------------------------------------ CNN layers

/** An int or [h, w] argument (kernel, stride, dilation, pool size) as [h, w]; values >= `min`. */
function intPair(cx: CallContext, name: string, dflt: [number, number] | undefined, min = 1): [number, number] {
  const v = cx.args.get(name);
  if (!v) {
    if (dflt) return dflt;
    return cx.fail('DNN0006', { callee: cx.callee, name });
  }
  let out: [number, number] | undefined;
  if (v.kind === 'num' && Number.isInteger(v.value)) out = [v.value, v.value];
  else if (v.kind === 'list' && v.items.length === 2 && v.items.every((i) => i.kind === 'num' && Number.isInteger(i.value)))
    out = v.items.map((i) => (i as { value: number }).value) as [number, number];
  if (!out) return cx.fail('DNN0017', { message: `'${cx.callee}': '${name}' must be an integer or a pair [h, w] of integers, got ${describe(v)}` }, { span: v.span });
  if (out.some((x) => x < min)) cx.fail('DNN0022', { message: `'${cx.callee}': '${name}' must be at least ${min}, got ${out[0] === out[1] ? out[0] : `[${out.join(', ')}]`}` }, { span: v.span });
  return out;
}

/** TF-style 'same' padding of one axis: output ceil(n / s), the odd pixel at the end. */
function samePads(n: number, k: number, s: number, d: number): [number, number] {
  const out = Math.ceil(n / s);
  const total = Math.max((out - 1) * s + (k - 1) * d + 1 - n, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/** padding = valid | same | p | [p] | [ph, pw] | [t, l, b, r] -> [t, l, b, r] */
function padsArg(cx: CallContext, H: number, W: number, k: [number, number], s: [number, number], d: [number, number]): [number, number, number, number] {
  const v = cx.args.get('padding');
  if (!v) return [0, 0, 0, 0];
  const bad = (): never =>
    cx.fail('DNN0022', { message: `'${cx.callee}': padding must be valid, same, an integer, [p], [ph, pw] or [top, left, bottom, right]; got ${describe(v)}` }, { span: v.span });
  if (v.kind === 'sym' || v.kind === 'str') {
    const name = v.kind === 'sym' ? v.name : v.value;
    if (name === 'valid') return [0, 0, 0, 0];
    if (name === 'same') {
      const [t, b] = samePads(H, k[0], s[0], d[0]);
      const [l, r] = samePads(W, k[1], s[1], d[1]);
      return [t, l, b, r];
    }
    return cx.fail('DNN0022', { message: `'${cx.callee}': padding must be valid or same (or explicit sizes); got '${name}'${didYouMean(name, ['valid', 'same'])}` }, { span: v.span });
  }
  let p: number[] | undefined;
  if (v.kind === 'num') p = [v.value];
  else if (v.kind === 'list' && v.items.every((i) => i.kind === 'num')) p = v.items.map((i) => (i as { value: number }).value);
  if (!p || p.some((x) => !Number.isInteger(x) || x < 0)) return bad();
  if (p.length === 1) return [p[0], p[0], p[0], p[0]];
  if (p.length === 2) return [p[0], p[1], p[0], p[1]];
  if (p.length === 4) return [p[0], p[1], p[2], p[3]];
  return bad();
}

/** The [N, C, H, W] input of a spatial layer, with static C, H, W. */
function spatialInput(cx: CallContext, x: Value, layout = '[N, C, H, W]'): { C: number; H: number; W: number } {
  const rank = x.type.shape.length;
  if (rank !== 4)
    cx.fail(
      'DNN0008',
      { message: `${cx.callee} expects ${layout} (batch, channels, height, width); got ${x.type.dtype}${shapeToString(x.type.shape)} of rank ${rank}` },
      { help: rank === 3 ? 'add a channel axis, e.g. declare the input as f32[B, 1, H, W] or use reshape(1, H, W)' : rank === 2 ? 'reshape the features to an image first, e.g. |> reshape(1, 28, 28)' : undefined },
    );
  return {
    C: cx.staticDim(x, 1, `the channels of ${cx.callee}`),
    H: cx.staticDim(x, 2, `the height of ${cx.callee}`),
    W: cx.staticDim(x, 3, `the width of ${cx.callee}`),
  };
}

function tooLarge(cx: CallContext, x: Value, k: [number, number], d: [number, number], pads: number[], what: string): void {
  const [, , H, W] = x.type.shape as number[];
  const ekh = (k[0] - 1) * d[0] + 1;
  const ekw = (k[1] - 1) * d[1] + 1;
  const ph = H + pads[0] + pads[2];
  const pw = W + pads[1] + pads[3];
  if (ekh > ph || ekw > pw)
    cx.fail(
      'DNN0007',
      { message: `${cx.callee}: the ${ekh}x${ekw} ${what} is larger than the ${pads.some((p) => p) ? `padded ${ph}x${pw}` : `${H}x${W}`} input ${x.type.dtype}${shapeToString(x.type.shape)}` },
      { span: cx.args.get('kernel')?.span ?? cx.args.get('size')?.span, help: 'use a smaller kernel, or padding: same' },
    );
}

const conv2d: BuiltinImpl = {
  name: 'conv2d',
  kind: 'layer',
  doc: 'conv2d(x, filters, kernel, stride = 1, padding = valid | same | p | [ph, pw] | [t, l, b, r], dilation = 1, groups = 1, bias = true, activation?, init = he_normal, name?): 2-D convolution of x [N, C, H, W] -> [N, filters, OH, OW]',
  params: [
    { name: 'x', type: 'tensor' },
    { name: 'filters', type: 'int' },
    { name: 'kernel', type: 'any' },
    { name: 'stride', type: 'any', optional: true },
    { name: 'padding', type: 'any', optional: true },
    { name: 'dilation', type: 'any', optional: true },
    { name: 'groups', type: 'int', optional: true },
    { name: 'bias', type: 'bool', optional: true },
    { name: 'activation', type: 'sym', optional: true },
    { name: 'init', type: 'sym', optional: true },
    { name: 'name', type: 'sym', optional: true },
  ],
  apply(cx) {
    const x = cx.args.tensor('x');
    const { C, H, W } = spatialInput(cx, x);
    const filters = cx.args.int('filters');
    if (filters <= 0) cx.fail('DNN0022', { message: `conv2d needs a positive number of filters, got ${filters}` }, { span: cx.args.span('filters') });
    const k = intPair(cx, 'kernel', undefined);
    const s = intPair(cx, 'stride', [1, 1]);
    const d = intPair(cx, 'dilation', [1, 1]);
    const groups = cx.args.int('groups', 1);
    if (groups < 1) cx.fail('DNN0022', { message: `conv2d: groups must be a positive integer, got ${groups}` }, { span: cx.args.span('groups') });
    if (C % groups !== 0)
      cx.fail('DNN0022', { message: `conv2d: the input's ${C} channels (${x.type.dtype}${shapeToString(x.type.shape)}) are not divisible by groups = ${groups}` }, { span: cx.args.span('groups') });
    if (filters % groups !== 0)
      cx.fail('DNN0022', { message: `conv2d: ${filters} filters are not divisible by groups = ${groups}` }, { span: cx.args.span('groups') });
    const pads = padsArg(cx, H, W, k, s, d);
    tooLarge(cx, x, k, d, pads, k[0] === (k[0] - 1) * d[0] + 1 && k[1] === (k[1] - 1) * d[1] + 1 ? 'kernel' : `dilated kernel (${k[0]}x${k[1]}, dilation [${d.join(', ')}])`);
    const activation = cx.args.sym('activation', ACTIVATIONS, 'none');
    const initKind = cx.args.sym('init', INITS, 'he_normal');
    const path = cx.layerPath('conv2d');
    const cg = C / groups;
    const w = cx.param(`${path}.weight`, [filters, cg, k[0], k[1]], initFor(initKind, cg * k[0] * k[1], filters * k[0] * k[1]));
    let y = cx.op('conv2d', [x, w], { strides: s, pads, dilations: d, groups });
    if (cx.args.bool('bias', true)) {
      const b = cx.param(`${path}.bias`, [filters], { kind: 'zeros' });
      y = cx.op('add', [y, cx.op('reshape', [b], { shape: [filters, 1, 1] })]);
    }
    if (activation !== 'none') y = cx.op(activation, [y], activation === 'leaky_relu' ? { alpha: 0.01 } : activation === 'elu' ? { alpha: 1 } : {});
    return { kind: 'tensor', v: y, span: cx.span };
  },
};

function pool(name: 'maxpool' | 'avgpool', op: 'maxpool2d' | 'avgpool2d'): BuiltinImpl {
  return {
    name,
    kind: 'layer',
    doc: `${name}(x, size, stride = size, padding = valid | same | p | [ph, pw] | [t, l, b, r]): ${name === 'maxpool' ? 'max' : 'mean'} over size x size windows of x [N, C, H, W]`,
    params: [
      { name: 'x', type: 'tensor' },
      { name: 'size', type: 'any' },
      { name: 'stride', type: 'any', optional: true },
      { name: 'padding', type: 'any', optional: true },
    ],
    apply(cx) {
      const x = cx.args.tensor('x');
      const { H, W } = spatialInput(cx, x);
      const k = intPair(cx, 'size', undefined);
      const s = intPair(cx, 'stride', k);
      const pads = padsArg(cx, H, W, k, s, [1, 1]);
      if (pads[0] >= k[0] || pads[2] >= k[0] || pads[1] >= k[1] || pads[3] >= k[1])
        cx.fail('DNN0022', { message: `${name}: padding [${pads.join(', ')}] must be smaller than the ${k[0]}x${k[1]} window` }, { span: cx.args.span('padding') });
      tooLarge(cx, x, k, [1, 1], pads, 'window');
      cx.layerPath(name);
      return { kind: 'tensor', v: cx.op(op, [x], { kernel: k, strides: s, pads }), span: cx.span };
    },
  };
}

const globalAvgpool: BuiltinImpl = {
  name: 'global_avgpool',
  kind: 'layer',
  doc: 'global_avgpool(x): mean over height and width, [N, C, H, W] -> [N, C]',
  params: [{ name: 'x', type: 'tensor' }],
  apply(cx) {
    const x = cx.args.tensor('x');
    spatialInput(cx, x);
    cx.layerPath('global_avgpool');
    return { kind: 'tensor', v: cx.op('reduce_mean', [x], { axes: [2, 3], keepdims: false }), span: cx.span };
  },
};

/**
 * batchnorm: per channel (axis 1 of [N, C, H, W], the last axis of [B, D] or
 * [B, T, D]) y = (x - mean) / sqrt(var + eps) * scale + shift. Train mode uses
 * the batch statistics (biased variance) and moves the running statistics
 * (model state) toward them: r = momentum * r + (1 - momentum) * batch.
 * Predict and evaluate use the running statistics.
 */
const batchnorm: BuiltinImpl = {
  name: 'batchnorm',
  kind: 'layer',
  doc: 'batchnorm(x, momentum = 0.9, eps = 1e-5, name?): normalise each channel (axis 1 of [N, C, H, W], else the last axis) with batch statistics in training and running statistics otherwise, then scale and shift (learned)',
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
const dropout: BuiltinImpl = {
  name: 'dropout',
  kind: 'layer',
  doc: 'dropout(x, rate = 0.5): in training, zero each element with probability rate and scale the rest by 1 / (1 - rate); identity otherwise',
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

/**
 * conv2d_transpose: the adjoint of a strided conv2d, for decoders and
 * generators. Weight [C, filters/groups, KH, KW] (PyTorch's layout).
 * padding: valid (none: OH = (H - 1) s + d (K - 1) + 1 + output_padding),
 * same (TensorFlow's convention for transposed convolutions: OH = H * s; the
 * pads are those of the conv2d 'same' that maps H * s back to H, and the rows
 * that conv2d would round away come back as output_padding), or explicit
 * sizes cropped from the full output, as in PyTorch.
 * he_normal by default, with the fan-in a transposed tap really sees:
 * C/groups * KH * KW / (sh * sw) input pixels per output pixel.
 */
const conv2dTranspose: BuiltinImpl = {
  name: 'conv2d_transpose',
  kind: 'layer',
  doc: 'conv2d_transpose(x, filters, kernel, stride = 1, padding = valid | same | p | [ph, pw] | [t, l, b, r], output_padding = 0, dilation = 1, groups = 1, bias = true, activation?, init = he_normal, name?): transposed 2-D convolution of x [N, C, H, W] -> [N, filters, OH, OW]; padding same gives OH = H * stride',
  params: [
    { name: 'x', type: 'tensor' },
    { name: 'filters', type: 'int' },
    { name: 'kernel', type: 'any' },
    { name: 'stride', type: 'any', optional: true },
    { name: 'padding', type: 'any', optional: true },
    { name: 'output_padding', type: 'any', optional: true },
    { name: 'dilation', type: 'any', optional: true },
    { name: 'groups', type: 'int', optional: true },
    { name: 'bias', type: 'bool', optional: true },
    { name: 'activation', type: 'sym', optional: true },
    { name: 'init', type: 'sym', optional: true },
    { name: 'name', type: 'sym', optional: true },
  ],
  apply(cx) {
    const x = cx.args.tensor('x');
    const { C, H, W } = spatialInput(cx, x);
    const filters = cx.args.int('filters');
    if (filters <= 0) cx.fail('DNN0022', { message: `conv2d_transpose needs a positive number of filters, got ${filters}` }, { span: cx.args.span('filters') });
    const k = intPair(cx, 'kernel', undefined);
    const s = intPair(cx, 'stride', [1, 1]);
    const d = intPair(cx, 'dilation', [1, 1]);
    const groups = cx.args.int('groups', 1);
    if (groups < 1) cx.fail('DNN0022', { message: `conv2d_transpose: groups must be a positive integer, got ${groups}` }, { span: cx.args.span('groups') });
    if (C % groups !== 0)
      cx.fail('DNN0022', { message: `conv2d_transpose: the input's ${C} channels (${x.type.dtype}${shapeToString(x.type.shape)}) are not divisible by groups = ${groups}` }, { span: cx.args.span('groups') });
    if (filters % groups !== 0)
      cx.fail('DNN0022', { message: `conv2d_transpose: ${filters} filters are not divisible by groups = ${groups}` }, { span: cx.args.span('groups') });
    let op = intPair(cx, 'output_padding', [0, 0], 0);
    if (op[0] >= s[0] || op[1] >= s[1])
      cx.fail(
        'DNN0022',
        { message: `conv2d_transpose: output_padding ${op[0] === op[1] ? op[0] : `[${op.join(', ')}]`} must be smaller than the stride ${s[0] === s[1] ? s[0] : `[${s.join(', ')}]`}` },
        { span: cx.args.span('output_padding'), help: 'output_padding only picks among the output sizes a strided conv2d rounds to the same input size; use padding to crop or grow the output' },
      );
    const padArg = cx.args.get('padding');
    const same = (padArg?.kind === 'sym' && padArg.name === 'same') || (padArg?.kind === 'str' && padArg.value === 'same');
    let pads: [number, number, number, number];
    if (same) {
      if (cx.args.has('output_padding'))
        cx.fail('DNN0022', { message: `conv2d_transpose: padding: same sets the output size to input * stride by itself; drop output_padding or give explicit padding` }, { span: cx.args.span('output_padding') });
      const [t, b] = samePads(H * s[0], k[0], s[0], d[0]);
      const [l, r] = samePads(W * s[1], k[1], s[1], d[1]);
      pads = [t, l, b, r];
      const full = (n: number, i: number) => (n - 1) * s[i] + d[i] * (k[i] - 1) + 1;
      op = [H * s[0] - (full(H, 0) - t - b), W * s[1] - (full(W, 1) - l - r)];
    } else pads = padsArg(cx, H, W, k, s, d);
    const OH = (H - 1) * s[0] - pads[0] - pads[2] + d[0] * (k[0] - 1) + op[0] + 1;
    const OW = (W - 1) * s[1] - pads[1] - pads[3] + d[1] * (k[1] - 1) + op[1] + 1;
    if (OH < 1 || OW < 1)
      cx.fail(
        'DNN0007',
        { message: `conv2d_transpose: padding [${pads.join(', ')}] crops the whole ${OH + pads[0] + pads[2]}x${OW + pads[1] + pads[3]} output of ${x.type.dtype}${shapeToString(x.type.shape)}` },
        { span: cx.args.span('padding') },
      );
    const activation = cx.args.sym('activation', ACTIVATIONS, 'none');
    const initKind = cx.args.sym('init', INITS, 'he_normal');
    const path = cx.layerPath('conv2d_transpose');
    const cg = C / groups;
    const fg = filters / groups;
    const fanIn = Math.max(1, Math.round((cg * k[0] * k[1]) / (s[0] * s[1])));
    const w = cx.param(`${path}.weight`, [C, fg, k[0], k[1]], initFor(initKind, fanIn, fg * k[0] * k[1]));
    let y = cx.op('conv2d_transpose', [x, w], { strides: s, pads, output_padding: op, dilations: d, groups });
    if (cx.args.bool('bias', true)) {
      const b = cx.param(`${path}.bias`, [filters], { kind: 'zeros' });
      y = cx.op('add', [y, cx.op('reshape', [b], { shape: [filters, 1, 1] })]);
    }
    if (activation !== 'none') y = cx.op(activation, [y], activation === 'leaky_relu' ? { alpha: 0.01 } : activation === 'elu' ? { alpha: 1 } : {});
    return { kind: 'tensor', v: y, span: cx.span };
  },
};

const upsample: BuiltinImpl = {
  name: 'upsample',
  kind: 'layer',
  doc: 'upsample(x, scale = 2, mode = nearest | bilinear): enlarge x [N, C, H, W] by integer factors -> [N, C, H * sh, W * sw]; bilinear uses half-pixel centres (align_corners = false)',
  params: [
    { name: 'x', type: 'tensor' },
    { name: 'scale', type: 'any', optional: true },
    { name: 'mode', type: 'sym', optional: true },
  ],
  apply(cx) {
    const x = cx.args.tensor('x');
    spatialInput(cx, x);
    const scale = intPair(cx, 'scale', [2, 2]);
    const mode = cx.args.sym('mode', UPSAMPLE_MODES, 'nearest');
    cx.layerPath('upsample');
    return { kind: 'tensor', v: cx.op('upsample2d', [x], { scale, mode }), span: cx.span };
  },
};

const stopGradient: BuiltinImpl = {
  name: 'stop_gradient',
  kind: 'layer',
  doc: 'stop_gradient(x): x itself, but no gradient flows back through it (a GAN discriminator step on generated images, DQN targets)',
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
 * reproducible for a given seed. In predict and evaluate there is no step, so
 * the draw is keyed by step 0 and the seed: the same inputs give the same
 * output.
 */
function noiseLayer(name: 'noise' | 'uniform_noise', op: 'random_normal' | 'random_uniform', what: string): BuiltinImpl {
  return {
    name,
    kind: 'layer',
    doc: `${name}(d1, d2, ...): ${what} of shape [d1, d2, ...] (dims may be symbolic, e.g. ${name}(B, 64)); a new draw every training step, keyed by the model's seed; step 0 in predict/evaluate`,
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
      const step = cx.mode === 'train' ? cx.hyper('step') : cx.scalar(0);
      return { kind: 'tensor', v: cx.op(op, [step, cx.hyper('seed')], { shape: dims, salt: saltOf(path) }), span: cx.span };
    },
  };
}

/** Layers whose ops land with later work: a located "not supported yet", never a crash. */
function later(name: string, what: string): BuiltinImpl {
  return {
    name,
    kind: 'layer',
    doc: `${name}: ${what}`,
    params: [],
    variadic: true,
    notYet: what,
    apply: (cx) => cx.fail('DNN0015', { what: `'${name}'`, hint: ` (${what})` }),
  };
}

export const layerBuiltins: BuiltinImpl[] = [
  dense,
  flatten,
  reshape,
  layernorm,
  conv2d,
  pool('maxpool', 'maxpool2d'),
  pool('avgpool', 'avgpool2d'),
  globalAvgpool,
  batchnorm,
  dropout,
  conv2dTranspose,
  upsample,
  stopGradient,
  noiseLayer('noise', 'random_normal', 'standard-normal noise'),
  noiseLayer('uniform_noise', 'random_uniform', 'uniform noise in [0, 1)'),
  later('embedding', 'embeddings arrive with the sequence-model work'),
  later('lstm', 'recurrent layers arrive with the sequence-model work'),
  later('gru', 'recurrent layers arrive with the sequence-model work'),
  later('rnn', 'recurrent layers arrive with the sequence-model work'),
  later('scan', 'explicit recurrence arrives with the sequence-model work'),
  later('attention', 'attention arrives with the Transformer work'),
  later('positional', 'positional encodings arrive with the Transformer work'),
  later('rmsnorm', 'rmsnorm arrives with the Transformer work'),
];

export type { LVal };
