/**
 * Sequence layers: embedding, positional encodings, rmsnorm and multi-head
 * self-attention.
 */
import { dimEq, isDimName, shapeToString } from '../../../dims.js';
import type { Value } from '../../../ir.js';
import type { BuiltinImpl, CallContext } from '../../builtin.js';
import { asDim } from '../../values.js';
import { t } from './common.js';
import { formatLimit, MAX_CONSTANT_ELEMENTS } from '../../../limits.js';

/**
 * embedding: a learned table W [vocab, dim] (normal, std 1/sqrt(dim)); the
 * output is gather(W, tokens): f32[..., dim]. A token id outside [0, vocab)
 * stops the run with an Error naming the tokens input and the position.
 */
export const embedding: BuiltinImpl = {
  name: 'embedding',
  kind: 'layer',
  doc: 'embedding(tokens, vocab, dim, name?): a learned vector per token id: i32[...] -> f32[..., dim]; ids outside [0, vocab) are a run-time error',
  reference: {
    shapes: "i32[...] -> f32[..., dim]",
    weights: ["weight [vocab, dim]: normal with std 1 / sqrt(dim)"],
    notes: ["a token id outside [0, vocab) stops predict and training with an error naming the input and the position (or the sample of a data set)"],
  },
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

export const positional: BuiltinImpl = {
  name: 'positional',
  kind: 'layer',
  doc: 'positional(T, D, kind = sinusoidal | learned, max = 512, name?): position encodings f32[T, D] to add to embeddings; a symbolic T takes the first T rows of a [max, D] table',
  reference: {
    shapes: "f32[T, D], to add to embeddings f32[B, T, D]",
    weights: ["weight [rows, D] with kind: learned (rows = T, or max when T is symbolic): normal with std 1 / sqrt(D); the sinusoidal table is a constant"],
    notes: ["sinusoidal: PE[p, 2i] = sin(p / 10000^(2i / D)), PE[p, 2i + 1] = cos(p / 10000^(2i / D))", "a symbolic T above max is a run-time error naming the input"],
  },
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

export const rmsnorm: BuiltinImpl = {
  name: 'rmsnorm',
  kind: 'layer',
  doc: 'rmsnorm(x, eps = 1e-6, name?): x / sqrt(mean(x^2 over the last axis) + eps) * scale (learned)',
  reference: {
    shapes: "the shape of x",
    weights: ["scale [D]: ones"],
  },
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
export const attention: BuiltinImpl = {
  name: 'attention',
  kind: 'layer',
  doc: 'attention(x, heads, causal = false, mask?, dim = D, name?): multi-head self-attention over x f32[B, T, D] -> f32[B, T, D]; mask f32[B, T] marks the keys to attend to (1 = keep, 0 = padding)',
  reference: {
    shapes: "f32[B, T, D] -> f32[B, T, D]",
    weights: ["query.weight, key.weight, value.weight [D, dim]: glorot_uniform; query.bias, key.bias, value.bias [dim]: zeros", "out.weight [dim, D]: glorot_uniform; out.bias [D]: zeros"],
    notes: ["scores = q k^T / sqrt(dim / heads), softmax over the keys; head h uses columns h * dim / heads to (h + 1) * dim / heads - 1 of q, k and v", "causal: keys after the query position get -1e9; mask f32[B, T] adds (mask - 1) * 1e9 to the scores of each key"],
  },
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
