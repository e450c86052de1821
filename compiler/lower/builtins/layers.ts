/**
 * Standard layers, written over registry primitives (small core: autodiff,
 * fusion and codegen only see the primitives). Layers with weights allocate
 * parameters named by their place: `Model.dense_1.weight`, or `Model.fc1.weight`
 * with `name: fc1`.
 */
import { dimProduct, type Dim } from '../../dims.js';
import type { InitSpec } from '../../ir.js';
import type { BuiltinImpl, CallContext } from '../builtin.js';
import type { LVal } from '../values.js';

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
  later('conv2d', 'convolution layers arrive with the CNN work'),
  later('conv2d_transpose', 'transposed convolution arrives with the GAN/autoencoder work'),
  later('maxpool', 'pooling arrives with the CNN work'),
  later('avgpool', 'pooling arrives with the CNN work'),
  later('global_avgpool', 'pooling arrives with the CNN work'),
  later('batchnorm', 'batch normalisation arrives with the CNN work'),
  later('dropout', 'dropout arrives with the CNN work'),
  later('upsample', 'upsampling arrives with the GAN/autoencoder work'),
  later('embedding', 'embeddings arrive with the sequence-model work'),
  later('lstm', 'recurrent layers arrive with the sequence-model work'),
  later('gru', 'recurrent layers arrive with the sequence-model work'),
  later('rnn', 'recurrent layers arrive with the sequence-model work'),
  later('scan', 'explicit recurrence arrives with the sequence-model work'),
  later('attention', 'attention arrives with the Transformer work'),
  later('positional', 'positional encodings arrive with the Transformer work'),
  later('rmsnorm', 'rmsnorm arrives with the Transformer work'),
  later('noise', 'random noise sources arrive with the GAN work'),
  later('stop_gradient', 'stop_gradient arrives with the GAN/RL work'),
];

export type { LVal };
