/**
 * Recurrent layers: rnn, lstm and gru over a fixed number of time steps,
 * unrolled with shared weights (bidirectional and stacked variants).
 */
import { shapeToString } from '../../../dims.js';
import type { Value } from '../../../ir.js';
import type { BuiltinImpl, CallContext } from '../../builtin.js';
import { ACTIVATIONS, activate, t } from './common.js';

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
  const apply = (name: string, v: Value) => activate(cx, name, v);
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

const RECURRENT_COMMON = [
  'T must be a fixed size; the initial state is zero; act is `activation` (tanh by default)',
  'with layers: L, layer l has its weights under .l0, .l1, ...; with bidirectional, the reversed pass has its own under .reverse',
];
const RECURRENT_REFERENCE: Record<Cell, BuiltinImpl['reference']> = {
  rnn: {
    shapes: 'f32[B, T, I] -> f32[B, T, units] (return: all) or f32[B, units] (return: last); 2 * units with bidirectional',
    weights: ['weight_ih [I, units], weight_hh [units, units]: glorot_uniform', 'bias [units]: zeros'],
    notes: ['h = act(x weight_ih + h weight_hh + bias)', ...RECURRENT_COMMON],
  },
  lstm: {
    shapes: 'f32[B, T, I] -> f32[B, T, units] (return: all) or f32[B, units] (return: last); 2 * units with bidirectional',
    weights: ['weight_ih [I, 4 * units], weight_hh [units, 4 * units]: glorot_uniform; the column blocks are the gates i, f, g, o', 'bias [4 * units]: zeros'],
    notes: [
      'z = x weight_ih + h weight_hh + bias; i, f, g, o = sigmoid(z_i), sigmoid(z_f + 1), act(z_g), sigmoid(z_o): the forget gate adds 1 inside the sigmoid (the usual forget-gate bias, while the bias itself starts at zero)',
      'c = f c + i g; h = o act(c)',
      ...RECURRENT_COMMON,
    ],
  },
  gru: {
    shapes: 'f32[B, T, I] -> f32[B, T, units] (return: all) or f32[B, units] (return: last); 2 * units with bidirectional',
    weights: ['weight_ih [I, 3 * units], weight_hh [units, 3 * units]: glorot_uniform; the column blocks are the gates z, r, n', 'bias [3 * units] (input side) and bias_hh [3 * units] (recurrent side): zeros'],
    notes: [
      "reset_after form with the gate order z, r, n (Keras's default; PyTorch computes the same form but orders its gates r, z, n)",
      'z = sigmoid(x W_z + b_z + h U_z + c_z), r likewise, n = act(x W_n + b_n + r * (h U_n + c_n)), h = (1 - z) n + z h, with W = weight_ih, U = weight_hh, b = bias, c = bias_hh',
      ...RECURRENT_COMMON,
    ],
  },
};

export function recurrent(cell: Cell): BuiltinImpl {
  const what = cell === 'rnn' ? 'a simple (Elman) recurrent layer' : cell === 'lstm' ? 'a long short-term memory layer' : 'a gated recurrent unit layer';
  return {
    name: cell,
    kind: 'layer',
    doc: `${cell}(x, units, activation = tanh, return = all | last, bidirectional = false, layers = 1, name?): ${what} over x f32[B, T, I] with a fixed T, unrolled over time with shared weights -> f32[B, T, units] (all) or f32[B, units] (last); bidirectional concatenates a reversed pass (2 * units)`,
    reference: RECURRENT_REFERENCE[cell],
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
