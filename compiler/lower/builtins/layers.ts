/**
 * Standard layers, written over registry primitives (small core: autodiff,
 * fusion and codegen only see the primitives). Layers with weights allocate
 * parameters named by their place: `Model.dense_1.weight`, or `Model.fc1.weight`
 * with `name: fc1`.
 */
import { didYouMean } from '../../diagnostics.js';
import { dimEq, dimProduct, isDimName, shapeToString, type Dim } from '../../dims.js';
import type { InitSpec, Value } from '../../ir.js';
import { formatLimit, MAX_CONSTANT_ELEMENTS } from '../../limits.js';
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

/** The checks and sizes conv2d and conv2d_transpose share: input, filters, kernel, stride, dilation, groups. */
function convSizes(cx: CallContext, x: Value) {
  const { C, H, W } = spatialInput(cx, x);
  const filters = cx.args.int('filters');
  if (filters <= 0) cx.fail('DNN0022', { message: `${cx.callee} needs a positive number of filters, got ${filters}` }, { span: cx.args.span('filters') });
  const k = intPair(cx, 'kernel', undefined);
  const s = intPair(cx, 'stride', [1, 1]);
  const d = intPair(cx, 'dilation', [1, 1]);
  const groups = cx.args.int('groups', 1);
  if (groups < 1) cx.fail('DNN0022', { message: `${cx.callee}: groups must be a positive integer, got ${groups}` }, { span: cx.args.span('groups') });
  if (C % groups !== 0)
    cx.fail('DNN0022', { message: `${cx.callee}: the input's ${C} channels (${x.type.dtype}${shapeToString(x.type.shape)}) are not divisible by groups = ${groups}` }, { span: cx.args.span('groups') });
  if (filters % groups !== 0) cx.fail('DNN0022', { message: `${cx.callee}: ${filters} filters are not divisible by groups = ${groups}` }, { span: cx.args.span('groups') });
  return { C, H, W, filters, k, s, d, groups };
}

/** A per-channel bias (`bias = true`) and the `activation` of a convolution layer. */
function convEpilogue(cx: CallContext, y: Value, path: string, filters: number, activation: string): Value {
  if (cx.args.bool('bias', true)) {
    const b = cx.param(`${path}.bias`, [filters], { kind: 'zeros' });
    y = cx.op('add', [y, cx.op('reshape', [b], { shape: [filters, 1, 1] })]);
  }
  if (activation !== 'none') y = cx.op(activation, [y], activation === 'leaky_relu' ? { alpha: 0.01 } : activation === 'elu' ? { alpha: 1 } : {});
  return y;
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
    const { C, H, W, filters, k, s, d, groups } = convSizes(cx, x);
    const pads = padsArg(cx, H, W, k, s, d);
    tooLarge(cx, x, k, d, pads, k[0] === (k[0] - 1) * d[0] + 1 && k[1] === (k[1] - 1) * d[1] + 1 ? 'kernel' : `dilated kernel (${k[0]}x${k[1]}, dilation [${d.join(', ')}])`);
    const activation = cx.args.sym('activation', ACTIVATIONS, 'none');
    const initKind = cx.args.sym('init', INITS, 'he_normal');
    const path = cx.layerPath('conv2d');
    const cg = C / groups;
    const w = cx.param(`${path}.weight`, [filters, cg, k[0], k[1]], initFor(initKind, cg * k[0] * k[1], filters * k[0] * k[1]));
    const y = cx.op('conv2d', [x, w], { strides: s, pads, dilations: d, groups });
    return { kind: 'tensor', v: convEpilogue(cx, y, path, filters, activation), span: cx.span };
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
    const { C, H, W, filters, k, s, d, groups } = convSizes(cx, x);
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
    const y = cx.op('conv2d_transpose', [x, w], { strides: s, pads, output_padding: op, dilations: d, groups });
    return { kind: 'tensor', v: convEpilogue(cx, y, path, filters, activation), span: cx.span };
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

// ------------------------------------------------------------ sequence layers

const t = (cx: CallContext, v: Value): LVal => ({ kind: 'tensor', v, span: cx.span });

/**
 * embedding: a learned table W [vocab, dim] (normal, std 1/sqrt(dim)); the
 * output is gather(W, tokens): f32[..., dim]. A token id outside [0, vocab)
 * stops the run with an Error naming the tokens input and the position.
 */
const embedding: BuiltinImpl = {
  name: 'embedding',
  kind: 'layer',
  doc: 'embedding(tokens, vocab, dim, name?): a learned vector per token id: i32[...] -> f32[..., dim]; ids outside [0, vocab) are a run-time error',
  params: [
    { name: 'tokens', type: 'tensor' },
    { name: 'vocab', type: 'int' },
    { name: 'dim', type: 'int' },
    { name: 'name', type: 'sym', optional: true },
  ],
  apply(cx) {
    const tokens = cx.args.tensor('tokens');
    if (tokens.type.dtype !== 'i32')
      cx.fail('DNN0018', { message: `embedding expects i32 token ids, got ${tokens.type.dtype}${shapeToString(tokens.type.shape)}` }, { span: cx.args.span('tokens'), help: 'declare the input as i32[B, T]' });
    const vocab = cx.args.int('vocab');
    const dim = cx.args.int('dim');
    if (vocab <= 0) cx.fail('DNN0022', { message: `embedding: vocab must be a positive integer, got ${vocab}` }, { span: cx.args.span('vocab') });
    if (dim <= 0) cx.fail('DNN0022', { message: `embedding: dim must be a positive integer, got ${dim}` }, { span: cx.args.span('dim') });
    const path = cx.layerPath('embedding');
    const table = cx.param(`${path}.weight`, [vocab, dim], { kind: 'normal', std: 1 / Math.sqrt(dim) });
    cx.limitInput(tokens, vocab, `embedding(vocab: ${vocab})`);
    return t(cx, cx.op('gather', [table, tokens], { what: tokens.name ?? 'the token ids' }));
  },
};

/** The sinusoidal table [rows, D]: PE[p, 2i] = sin(p / 10000^(2i/D)), PE[p, 2i+1] = cos(p / 10000^(2i/D)). */
export function sinusoidalTable(rows: number, D: number): number[] {
  const out = new Array<number>(rows * D);
  for (let p = 0; p < rows; p++)
    for (let j = 0; j < D; j++) {
      const freq = Math.pow(10000, -(2 * Math.floor(j / 2)) / D);
      out[p * D + j] = j % 2 === 0 ? Math.sin(p * freq) : Math.cos(p * freq);
    }
  return out;
}

const positional: BuiltinImpl = {
  name: 'positional',
  kind: 'layer',
  doc: 'positional(T, D, kind = sinusoidal | learned, max = 512, name?): position encodings f32[T, D] to add to embeddings; a symbolic T takes the first T rows of a [max, D] table',
  params: [
    { name: 'T', type: 'dim' },
    { name: 'D', type: 'int' },
    { name: 'kind', type: 'sym', optional: true },
    { name: 'max', type: 'int', optional: true },
    { name: 'name', type: 'sym', optional: true },
  ],
  apply(cx) {
    const T = asDim(cx.args.get('T')!)!;
    const D = cx.args.int('D');
    if (D <= 0) cx.fail('DNN0022', { message: `positional: D must be a positive integer, got ${D}` }, { span: cx.args.span('D') });
    const kind = cx.args.sym('kind', ['sinusoidal', 'learned'], 'sinusoidal');
    const max = cx.args.int('max', 512);
    if (max < 1) cx.fail('DNN0022', { message: `positional: max must be a positive integer, got ${max}` }, { span: cx.args.span('max') });
    if (typeof T === 'number' && T <= 0) cx.fail('DNN0022', { message: `positional: T must be positive, got ${T}` }, { span: cx.args.span('T') });
    if (typeof T === 'number' && cx.args.has('max') && T > max)
      cx.fail('DNN0022', { message: `positional: T = ${T} is longer than max = ${max}` }, { span: cx.args.span('max') });
    const path = cx.layerPath('positional');
    const rows = typeof T === 'number' ? T : max;
    // the sinusoidal table is built here and written into the generated code: bounded before it is allocated
    if (kind === 'sinusoidal' && rows * D > MAX_CONSTANT_ELEMENTS)
      cx.fail(
        'DNN0033',
        { message: `positional: a sinusoidal table of ${rows.toLocaleString('en-US')} x ${D.toLocaleString('en-US')} = ${(rows * D).toLocaleString('en-US')} values is above the limit of ${formatLimit(MAX_CONSTANT_ELEMENTS)} for a constant table` },
        { help: typeof T === 'number' ? 'lower T or D, or use kind: learned' : 'lower max or D, or use kind: learned' },
      );
    const table =
      kind === 'learned'
        ? cx.param(`${path}.weight`, [rows, D], { kind: 'normal', std: 1 / Math.sqrt(D) })
        : cx.op('const', [], { data: sinusoidalTable(rows, D), dtype: 'f32', shape: [rows, D] });
    if (typeof T === 'number') return t(cx, table);
    // symbolic T: the first T rows; the runtime refuses inputs with T > max
    if (isDimName(T)) cx.limitDim(T, max, `positional(max: ${max})`);
    return t(cx, cx.op('slice', [table], { axes: [0], starts: [0], ends: [T] }));
  },
};

const rmsnorm: BuiltinImpl = {
  name: 'rmsnorm',
  kind: 'layer',
  doc: 'rmsnorm(x, eps = 1e-6, name?): x / sqrt(mean(x^2 over the last axis) + eps) * scale (learned)',
  params: [
    { name: 'x', type: 'tensor' },
    { name: 'eps', type: 'num', optional: true },
    { name: 'name', type: 'sym', optional: true },
  ],
  apply(cx) {
    const x = cx.args.tensor('x');
    const rank = x.type.shape.length;
    if (rank === 0) cx.fail('DNN0008', { message: 'rmsnorm needs a tensor with a feature axis, got a scalar' });
    const d = cx.staticDim(x, rank - 1, 'the normalised axis of rmsnorm');
    const eps = cx.args.num('eps', 1e-6);
    if (!(eps > 0)) cx.fail('DNN0022', { message: `rmsnorm: eps must be positive, got ${eps}` }, { span: cx.args.span('eps') });
    const path = cx.layerPath('rmsnorm');
    const gamma = cx.param(`${path}.scale`, [d], { kind: 'ones' });
    const ms = cx.op('reduce_mean', [cx.op('square', [x])], { axes: [-1], keepdims: true });
    const inv = cx.op('rsqrt', [cx.op('add', [ms, cx.scalar(eps)])]);
    return t(cx, cx.op('mul', [cx.op('mul', [x, inv]), gamma]));
  },
};

/** x [..., I] @ W [I, units] + b, parameters under `path`. */
function project(cx: CallContext, x: Value, path: string, units: number, bias = true): Value {
  const fanIn = x.type.shape[x.type.shape.length - 1] as number;
  const w = cx.param(`${path}.weight`, [fanIn, units], { kind: 'glorot_uniform', fanIn, fanOut: units });
  const y = cx.op('matmul', [x, w], { transA: false, transB: false });
  return bias ? cx.op('add', [y, cx.param(`${path}.bias`, [units], { kind: 'zeros' })]) : y;
}

/**
 * attention: multi-head scaled dot-product self-attention over x [B, T, D].
 *   q, k, v = x Wq + bq, x Wk + bk, x Wv + bv            [B, T, dim]
 *   split heads: reshape [B, T, H, Dh], transpose -> [B, H, T, Dh]
 *   scores = q k^T / sqrt(Dh)                             [B, H, T, T]
 *          + -1e9 above the diagonal (causal)
 *          + (mask - 1) * 1e9 per key (mask f32[B, T], 1 = keep)
 *   out = softmax(scores) v, heads merged back to [B, T, dim], then Wo + bo -> [B, T, D]
 * B and T may be symbolic (the causal mask is built from iota at run time).
 */
const attention: BuiltinImpl = {
  name: 'attention',
  kind: 'layer',
  doc: 'attention(x, heads, causal = false, mask?, dim = D, name?): multi-head self-attention over x f32[B, T, D] -> f32[B, T, D]; mask f32[B, T] marks the keys to attend to (1 = keep, 0 = padding)',
  params: [
    { name: 'x', type: 'tensor' },
    { name: 'heads', type: 'int' },
    { name: 'causal', type: 'bool', optional: true },
    { name: 'mask', type: 'tensor', optional: true },
    { name: 'dim', type: 'int', optional: true },
    { name: 'name', type: 'sym', optional: true },
  ],
  apply(cx) {
    const x = cx.args.tensor('x');
    if (x.type.dtype !== 'f32' || x.type.shape.length !== 3)
      cx.fail('DNN0008', { message: `attention expects f32[B, T, D] (batch, positions, features), got ${x.type.dtype}${shapeToString(x.type.shape)}` });
    const [B, T] = x.type.shape;
    const D = cx.staticDim(x, 2, 'the features of attention');
    const H = cx.args.int('heads');
    if (H <= 0) cx.fail('DNN0022', { message: `attention: heads must be a positive integer, got ${H}` }, { span: cx.args.span('heads') });
    const dim = cx.args.int('dim', D);
    if (dim % H !== 0)
      cx.fail('DNN0022', { message: `attention: dim ${dim} is not divisible by heads = ${H}` }, { span: cx.args.span(cx.args.has('dim') ? 'dim' : 'heads'), help: `pick heads that divide ${dim}` });
    const Dh = dim / H;
    const mask = cx.args.optTensor('mask');
    if (mask && (mask.type.dtype !== 'f32' || mask.type.shape.length !== 2 || !dimEq(mask.type.shape[0], B) || !dimEq(mask.type.shape[1], T)))
      cx.fail('DNN0007', { message: `attention: mask must be f32[${B}, ${T}] (1 = attend, 0 = padding) for x ${x.type.dtype}${shapeToString(x.type.shape)}, got ${mask.type.dtype}${shapeToString(mask.type.shape)}` }, { span: cx.args.span('mask') });
    const path = cx.layerPath('attention');
    const heads = (v: Value) => cx.op('transpose', [cx.op('reshape', [v], { shape: [B, T, H, Dh] })], { perm: [0, 2, 1, 3] });
    const q = heads(project(cx, x, `${path}.query`, dim));
    const k = heads(project(cx, x, `${path}.key`, dim));
    const v = heads(project(cx, x, `${path}.value`, dim));
    let scores = cx.op('mul', [cx.op('matmul', [q, k], { transA: false, transB: true }), cx.scalar(1 / Math.sqrt(Dh))]);
    if (cx.args.bool('causal', false)) {
      const row = cx.op('iota', [], { shape: [T, T], axis: 0 });
      const col = cx.op('iota', [], { shape: [T, T], axis: 1 });
      const above = cx.op('cast', [cx.op('greater', [col, row])], { dtype: 'f32' });
      scores = cx.op('add', [scores, cx.op('mul', [above, cx.scalar(-1e9)])]);
    }
    if (mask) {
      const pad = cx.op('mul', [cx.op('sub', [mask, cx.scalar(1)]), cx.scalar(1e9)]);
      scores = cx.op('add', [scores, cx.op('reshape', [pad], { shape: [B, 1, 1, T] })]);
    }
    const p = cx.op('softmax', [scores], { axis: -1 });
    const o = cx.op('matmul', [p, v], { transA: false, transB: false });
    const merged = cx.op('reshape', [cx.op('transpose', [o], { perm: [0, 2, 1, 3] })], { shape: [B, T, dim] });
    return t(cx, project(cx, merged, `${path}.out`, D));
  },
};

// ------------------------------------------------------------ recurrent layers

type Cell = 'rnn' | 'lstm' | 'gru';
const GATES: Record<Cell, number> = { rnn: 1, lstm: 4, gru: 3 };

/** columns [k*H, (k+1)*H) of the last axis of z [..., G*H] */
function gate(cx: CallContext, z: Value, k: number, H: number): Value {
  return cx.op('slice', [z], { axes: [z.type.shape.length - 1], starts: [k * H], ends: [(k + 1) * H] });
}

/**
 * One direction of one layer, unrolled over the T static steps of x [B, T, I]
 * with shared weights; returns the hidden state after every step (in the
 * order of x, also for a reversed pass) and the final state.
 *   rnn:  h = act(x W + h U + b)
 *   lstm: i, f, g, o = σ(zi), σ(zf + 1), tanh(zg), σ(zo) of z = x W + h U + b
 *         c = f c + i g; h = o tanh(c)     (the +1 is the usual forget-gate bias)
 *   gru:  z, r = σ(xWz + hUz + bz), σ(xWr + hUr + br)
 *         n = tanh(xWn + bn + r (hUn + cn)); h = (1 - z) n + z h
 * The initial state is zero, so step one skips the h U products.
 */
function recurrence(cx: CallContext, cell: Cell, x: Value, T: number, H: number, path: string, reverse: boolean, act: string): { all: Value[]; last: Value } {
  const B = x.type.shape[0];
  const I = x.type.shape[2] as number;
  const G = GATES[cell];
  const W = cx.param(`${path}.weight_ih`, [I, G * H], { kind: 'glorot_uniform', fanIn: I, fanOut: G * H });
  const U = cx.param(`${path}.weight_hh`, [H, G * H], { kind: 'glorot_uniform', fanIn: H, fanOut: G * H });
  const bias = cx.param(`${path}.bias`, [G * H], { kind: 'zeros' });
  const ubias = cell === 'gru' ? cx.param(`${path}.bias_hh`, [G * H], { kind: 'zeros' }) : undefined;
  const apply = (name: string, v: Value) => (name === 'none' ? v : cx.op(name, [v], name === 'leaky_relu' ? { alpha: 0.01 } : name === 'elu' ? { alpha: 1 } : {}));
  const all: Value[] = new Array(T);
  let h: Value | undefined;
  let c: Value | undefined;
  for (let s = 0; s < T; s++) {
    const ti = reverse ? T - 1 - s : s;
    const xt = cx.op('reshape', [cx.op('slice', [x], { axes: [1], starts: [ti], ends: [ti + 1] })], { shape: [B, I] });
    const xw = cx.op('add', [cx.op('matmul', [xt, W], { transA: false, transB: false }), bias]);
    const hu = h && cx.op('matmul', [h, U], { transA: false, transB: false });
    if (cell === 'rnn') h = apply(act, hu ? cx.op('add', [xw, hu]) : xw);
    else if (cell === 'lstm') {
      const z = hu ? cx.op('add', [xw, hu]) : xw;
      const i = cx.op('sigmoid', [gate(cx, z, 0, H)]);
      const f = cx.op('sigmoid', [cx.op('add', [gate(cx, z, 1, H), cx.scalar(1)])]);
      const g = apply(act, gate(cx, z, 2, H));
      const o = cx.op('sigmoid', [gate(cx, z, 3, H)]);
      const ig = cx.op('mul', [i, g]);
      c = c ? cx.op('add', [cx.op('mul', [f, c]), ig]) : ig;
      h = cx.op('mul', [o, apply(act, c)]);
    } else {
      const hb = hu ? cx.op('add', [hu, ubias!]) : ubias!; // h U + c (just c while h = 0)
      const zg = cx.op('sigmoid', [cx.op('add', [gate(cx, xw, 0, H), gate(cx, hb, 0, H)])]);
      const r = cx.op('sigmoid', [cx.op('add', [gate(cx, xw, 1, H), gate(cx, hb, 1, H)])]);
      const n = apply(act, cx.op('add', [gate(cx, xw, 2, H), cx.op('mul', [r, gate(cx, hb, 2, H)])]));
      // h = (1 - z) n + z h = n + z (h - n); with h = 0: n - z n
      h = h ? cx.op('add', [n, cx.op('mul', [zg, cx.op('sub', [h, n])])]) : cx.op('sub', [n, cx.op('mul', [zg, n])]);
    }
    all[ti] = h!;
  }
  return { all, last: h! };
}

function recurrent(cell: Cell): BuiltinImpl {
  const what = cell === 'rnn' ? 'a simple (Elman) recurrent layer' : cell === 'lstm' ? 'a long short-term memory layer' : 'a gated recurrent unit layer';
  return {
    name: cell,
    kind: 'layer',
    doc: `${cell}(x, units, activation = tanh, return = all | last, bidirectional = false, layers = 1, name?): ${what} over x f32[B, T, I] with a fixed T, unrolled over time with shared weights -> f32[B, T, units] (all) or f32[B, units] (last); bidirectional concatenates a reversed pass (2 * units)`,
    params: [
      { name: 'x', type: 'tensor' },
      { name: 'units', type: 'int' },
      { name: 'activation', type: 'sym', optional: true },
      { name: 'return', type: 'sym', optional: true },
      { name: 'bidirectional', type: 'bool', optional: true },
      { name: 'layers', type: 'int', optional: true },
      { name: 'name', type: 'sym', optional: true },
    ],
    apply(cx) {
      const x = cx.args.tensor('x');
      if (x.type.dtype !== 'f32' || x.type.shape.length !== 3)
        cx.fail(
          'DNN0008',
          { message: `${cell} expects f32[B, T, I] (batch, time, features), got ${x.type.dtype}${shapeToString(x.type.shape)}` },
          { help: x.type.dtype === 'i32' ? 'embed token ids first: |> embedding(vocab: V, dim: D)' : x.type.shape.length === 2 ? 'add a feature axis, e.g. f32[B, T, 1]' : undefined },
        );
      const T = x.type.shape[1];
      if (typeof T !== 'number')
        cx.fail('DNN0015', { what: `${cell} over a symbolic sequence length`, hint: `; give T a fixed size (the input is ${x.type.dtype}${shapeToString(x.type.shape)})` });
      if ((T as number) < 1) cx.fail('DNN0022', { message: `${cell} needs at least one time step, got x ${x.type.dtype}${shapeToString(x.type.shape)} (T = ${T})` }, { span: cx.args.span('x') });
      cx.staticDim(x, 2, `the input features of ${cell}`);
      const units = cx.args.int('units');
      if (units <= 0) cx.fail('DNN0022', { message: `${cell} needs a positive number of units, got ${units}` }, { span: cx.args.span('units') });
      const act = cx.args.sym('activation', ACTIVATIONS, 'tanh');
      const ret = cx.args.sym('return', ['all', 'last'], 'all');
      const bidi = cx.args.bool('bidirectional', false);
      const layers = cx.args.int('layers', 1);
      if (layers < 1) cx.fail('DNN0022', { message: `${cell}: layers must be at least 1, got ${layers}` }, { span: cx.args.span('layers') });
      const path = cx.layerPath(cell);
      const B = x.type.shape[0];
      const Tn = T as number;
      let input = x;
      let result: Value = x;
      for (let l = 0; l < layers; l++) {
        const sub = layers === 1 ? path : `${path}.l${l}`;
        const fwd = recurrence(cx, cell, input, Tn, units, sub, false, act);
        const bwd = bidi ? recurrence(cx, cell, input, Tn, units, `${sub}.reverse`, true, act) : undefined;
        const top = l === layers - 1;
        if (top && ret === 'last') {
          result = bwd ? cx.op('concat', [fwd.last, bwd.last], { axis: 1 }) : fwd.last;
          break;
        }
        const steps = fwd.all.map((h, i) => cx.op('reshape', [bwd ? cx.op('concat', [h, bwd.all[i]], { axis: 1 }) : h], { shape: [B, 1, bwd ? 2 * units : units] }));
        input = steps.length === 1 ? steps[0] : cx.op('concat', steps, { axis: 1 });
        result = input;
      }
      return t(cx, result);
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
  embedding,
  positional,
  rmsnorm,
  attention,
  recurrent('rnn'),
  recurrent('lstm'),
  recurrent('gru'),
  // scan(Cell, over: x, ...) calls a user block per time step: that needs a block-call hook in
  // the lowerer (Lowerer.callBlock takes AST arguments and is private), so it waits for it
];

export type { LVal };
