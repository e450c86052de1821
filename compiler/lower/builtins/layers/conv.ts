/**
 * Convolution layers over [N, C, H, W] images: conv2d, conv2d_transpose,
 * maxpool, avgpool, global_avgpool and upsample. The argument forms (an int or
 * a pair, valid | same | explicit padding) are read here; the shape rules of
 * the convolution and pooling themselves are the ops' (compiler/ops/conv.ts,
 * deconv.ts, pool.ts), reported at the call.
 */
import { didYouMean } from '../../../diagnostics.js';
import { shapeToString } from '../../../dims.js';
import type { Value } from '../../../ir.js';
import { UPSAMPLE_MODES } from '../../../ops/resize.js';
import type { BuiltinImpl, CallContext } from '../../builtin.js';
import { describe } from '../../values.js';
import { ACTIVATIONS, activate, INITS, initFor } from './common.js';

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

/** The arguments conv2d and conv2d_transpose share: input, filters, kernel, stride, dilation, groups (the op checks groups against the channels). */
function convSizes(cx: CallContext, x: Value) {
  const { C, H, W } = spatialInput(cx, x);
  const filters = cx.args.int('filters');
  if (filters <= 0) cx.fail('DNN0022', { message: `${cx.callee} needs a positive number of filters, got ${filters}` }, { span: cx.args.span('filters') });
  const k = intPair(cx, 'kernel', undefined);
  const s = intPair(cx, 'stride', [1, 1]);
  const d = intPair(cx, 'dilation', [1, 1]);
  const groups = cx.args.int('groups', 1);
  return { C, H, W, filters, k, s, d, groups };
}

/** A per-channel bias (`bias = true`) and the `activation` of a convolution layer. */
function convEpilogue(cx: CallContext, y: Value, path: string, filters: number, activation: string): Value {
  if (cx.args.bool('bias', true)) {
    const b = cx.param(`${path}.bias`, [filters], { kind: 'zeros' });
    y = cx.op('add', [y, cx.op('reshape', [b], { shape: [filters, 1, 1] })]);
  }
  return activate(cx, activation, y);
}

export const conv2d: BuiltinImpl = {
  name: 'conv2d',
  kind: 'layer',
  doc: 'conv2d(x, filters, kernel, stride = 1, padding = valid | same | p | [ph, pw] | [t, l, b, r], dilation = 1, groups = 1, bias = true, activation?, init = he_normal, name?): 2-D convolution of x [N, C, H, W] -> [N, filters, OH, OW]',
  reference: {
    shapes: "f32[N, C, H, W] -> f32[N, filters, OH, OW], OH = floor((H + pad_top + pad_bottom - dilation * (kernel - 1) - 1) / stride) + 1",
    weights: ["weight [filters, C / groups, KH, KW] (PyTorch's layout): he_normal, or `init`", "bias [filters]: zeros (with bias = true)"],
    notes: ["channels first (NCHW), as PyTorch", "padding: same is TensorFlow's: OH = ceil(H / stride), an odd padding row or column goes to the bottom or right", "explicit padding: p, [ph, pw] or [top, left, bottom, right]"],
  },
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
    const attrs = { strides: s, pads, dilations: d, groups };
    // the op's rules (groups against channels and filters) before the weight is allocated
    cx.checkOp('conv2d', [x.type, { dtype: 'f32', shape: [filters, Math.floor(C / groups), k[0], k[1]] }], attrs);
    const path = cx.layerPath('conv2d');
    const cg = C / groups;
    const w = cx.param(`${path}.weight`, [filters, cg, k[0], k[1]], initFor(initKind, cg * k[0] * k[1], filters * k[0] * k[1]));
    const y = cx.op('conv2d', [x, w], attrs);
    return { kind: 'tensor', v: convEpilogue(cx, y, path, filters, activation), span: cx.span };
  },
};

export function pool(name: 'maxpool' | 'avgpool', op: 'maxpool2d' | 'avgpool2d'): BuiltinImpl {
  return {
    name,
    kind: 'layer',
    doc: `${name}(x, size, stride = size, padding = valid | same | p | [ph, pw] | [t, l, b, r]): ${name === 'maxpool' ? 'max' : 'mean'} over size x size windows of x [N, C, H, W]`,
    reference: {
      shapes: 'f32[N, C, H, W] -> f32[N, C, OH, OW], OH = floor((H + pad_top + pad_bottom - size) / stride) + 1',
      notes:
        name === 'avgpool'
          ? ["the mean of the in-bounds part of each window: padding is not counted (PyTorch's count_include_pad = false, as TensorFlow's same)", 'padding must be smaller than the window']
          : ['padding never wins: every window holds at least one input (padding must be smaller than the window); the gradient goes to the first maximum of a window'],
    },
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
      tooLarge(cx, x, k, [1, 1], pads, 'window');
      cx.layerPath(name);
      return { kind: 'tensor', v: cx.op(op, [x], { kernel: k, strides: s, pads }), span: cx.span };
    },
  };
}

export const globalAvgpool: BuiltinImpl = {
  name: 'global_avgpool',
  kind: 'layer',
  doc: 'global_avgpool(x): mean over height and width, [N, C, H, W] -> [N, C]',
  reference: {
    shapes: "f32[N, C, H, W] -> f32[N, C]",
  },
  params: [{ name: 'x', type: 'tensor' }],
  apply(cx) {
    const x = cx.args.tensor('x');
    spatialInput(cx, x);
    cx.layerPath('global_avgpool');
    return { kind: 'tensor', v: cx.op('reduce_mean', [x], { axes: [2, 3], keepdims: false }), span: cx.span };
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
export const conv2dTranspose: BuiltinImpl = {
  name: 'conv2d_transpose',
  kind: 'layer',
  doc: 'conv2d_transpose(x, filters, kernel, stride = 1, padding = valid | same | p | [ph, pw] | [t, l, b, r], output_padding = 0, dilation = 1, groups = 1, bias = true, activation?, init = he_normal, name?): transposed 2-D convolution of x [N, C, H, W] -> [N, filters, OH, OW]; padding same gives OH = H * stride',
  reference: {
    shapes: "f32[N, C, H, W] -> f32[N, filters, OH, OW], OH = (H - 1) * stride - pad_top - pad_bottom + dilation * (kernel - 1) + output_padding + 1",
    weights: ["weight [C, filters / groups, KH, KW], that is [in, out / groups, KH, KW] (PyTorch's layout for transposed convolutions): he_normal with fan-in C / groups * KH * KW / (stride_h * stride_w)", "bias [filters]: zeros (with bias = true)"],
    notes: ["padding: same gives OH = H * stride (TensorFlow's convention)", "explicit padding crops the full output, as PyTorch does"],
  },
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
    const activation = cx.args.sym('activation', ACTIVATIONS, 'none');
    const initKind = cx.args.sym('init', INITS, 'he_normal');
    const attrs = { strides: s, pads, output_padding: op, dilations: d, groups };
    // the op's rules (groups against channels, an output left empty by the padding) before the weight is allocated
    cx.checkOp('conv2d_transpose', [x.type, { dtype: 'f32', shape: [C, Math.floor(filters / groups), k[0], k[1]] }], attrs);
    // the weight [C, filters / groups, ...] does not tell the op the number of filters: that rule is the layer's
    if (filters % groups !== 0) cx.fail('DNN0022', { message: `${cx.callee}: ${filters} filters are not divisible by groups = ${groups}` }, { span: cx.args.span('groups') });
    const path = cx.layerPath('conv2d_transpose');
    const cg = C / groups;
    const fg = filters / groups;
    const fanIn = Math.max(1, Math.round((cg * k[0] * k[1]) / (s[0] * s[1])));
    const w = cx.param(`${path}.weight`, [C, fg, k[0], k[1]], initFor(initKind, fanIn, fg * k[0] * k[1]));
    const y = cx.op('conv2d_transpose', [x, w], attrs);
    return { kind: 'tensor', v: convEpilogue(cx, y, path, filters, activation), span: cx.span };
  },
};

export const upsample: BuiltinImpl = {
  name: 'upsample',
  kind: 'layer',
  doc: 'upsample(x, scale = 2, mode = nearest | bilinear): enlarge x [N, C, H, W] by integer factors -> [N, C, H * sh, W * sw]; bilinear uses half-pixel centres (align_corners = false)',
  reference: {
    shapes: "f32[N, C, H, W] -> f32[N, C, H * sh, W * sw]",
  },
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
