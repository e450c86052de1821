/**
 * Binary (and the ternary `where`) ops with numpy broadcasting (pattern kind
 * 'broadcast'). Symbolic dims broadcast by equality or against 1. Both
 * operands must have the same dtype (DNN0018). Gradients sum back to each
 * operand's shape with GradBuilder.unbroadcast.
 */
import { shapeToString } from '../dims.js';
import type { Attrs, DType, TensorType, Value } from '../ir.js';
import { ShapeError, type OpDef, type OpSample, type GradBuilder } from './types.js';
import { broadcastShapes, refElementwise } from './util.js';
import { expectArity } from './kernel-util.js';

interface BinarySpec {
  name: string;
  doc: string;
  f: (a: number, b: number) => number;
  /** accepted operand dtype (both operands share it) */
  dtypes: DType[];
  /** output dtype; default the operands' */
  out?: DType;
  /** gradients (before unbroadcast) from a, b, y, g */
  grad?: (bld: GradBuilder, a: Value, b: Value, y: Value, g: Value) => [Value | undefined, Value | undefined];
  samples?: OpSample[];
}

const broadcastSamples: OpSample[] = [
  { inputs: [{ shape: [2, 3] }, { shape: [2, 3] }] },
  { inputs: [{ shape: [2, 1] }, { shape: [2, 3] }], note: 'broadcast a column' },
  { inputs: [{ shape: [2, 3] }, { shape: [3] }], note: 'broadcast a row of lower rank' },
];

function dtypeCheck(name: string, a: TensorType, b: TensorType, allowed: readonly DType[]): void {
  if (a.dtype !== b.dtype)
    throw new ShapeError(
      `${name}: operand dtypes differ: ${a.dtype}${shapeToString(a.shape)} and ${b.dtype}${shapeToString(b.shape)}`,
      'DNN0018',
      'cast one operand with cast(x, dtype: ...)',
    );
  if (!allowed.includes(a.dtype))
    throw new ShapeError(`${name}: operands must be ${allowed.join(' or ')}, got ${a.dtype}`, 'DNN0018');
}

function binary(spec: BinarySpec): OpDef {
  const def: OpDef = {
    name: spec.name,
    kind: 'broadcast',
    doc: spec.doc,
    arity: 2,
    attrNames: [],
    infer(inputs) {
      expectArity(spec.name, inputs, 2);
      const [a, b] = inputs;
      dtypeCheck(spec.name, a, b, spec.dtypes);
      return [{ dtype: spec.out ?? a.dtype, shape: broadcastShapes(a.shape, b.shape, spec.name) }];
    },
    reference(inputs) {
      return [refElementwise(inputs, spec.out ?? inputs[0].dtype, spec.f)];
    },
    samples: spec.samples ?? broadcastSamples,
  };
  const g = spec.grad;
  if (g)
    def.grad = ({ b, node, dy }) => {
      const [x0, x1] = node.inputs;
      if (!dy[0] || x0.type.dtype !== 'f32') return [undefined, undefined];
      const [ga, gb] = g(b, x0, x1, node.outputs[0], dy[0]);
      return [ga && b.unbroadcast(ga, x0.type.shape), gb && b.unbroadcast(gb, x1.type.shape)];
    };
  return def;
}

const NUM: DType[] = ['f32', 'i32'];
const ANY: DType[] = ['f32', 'i32', 'bool'];

export const add = binary({
  name: 'add',
  doc: 'a + b',
  dtypes: NUM,
  f: (a, b) => a + b,
  grad: (_bl, _a, _b, _y, g) => [g, g],
});

export const sub = binary({
  name: 'sub',
  doc: 'a - b',
  dtypes: NUM,
  f: (a, b) => a - b,
  grad: (bl, _a, _b, _y, g) => [g, bl.neg(g)],
});

export const mul = binary({
  name: 'mul',
  doc: 'a * b',
  dtypes: NUM,
  f: (a, b) => a * b,
  grad: (bl, a, b, _y, g) => [bl.mul(g, b), bl.mul(g, a)],
});

export const div = binary({
  name: 'div',
  doc: 'a / b (f32 only)',
  dtypes: ['f32'],
  f: (a, b) => a / b,
  // d/da = 1/b, d/db = -a/b^2 = -y/b
  grad: (bl, _a, b, y, g) => {
    const ga = bl.div(g, b);
    return [ga, bl.neg(bl.mul(ga, y))];
  },
  samples: [
    { inputs: [{ shape: [2, 3] }, { shape: [2, 3], range: [0.5, 2] }] },
    { inputs: [{ shape: [2, 1] }, { shape: [2, 3], range: [-2, -0.5] }] },
    { inputs: [{ shape: [2, 3] }, { shape: [3], range: [0.5, 2] }] },
  ],
});

export const pow = binary({
  name: 'pow',
  doc: 'a ^ b (f32 only; the gradient for b needs a > 0)',
  dtypes: ['f32'],
  f: (a, b) => Math.pow(a, b),
  // d/da = b a^(b-1), d/db = y ln a
  grad: (bl, a, b, y, g) => [
    bl.mul(g, bl.mul(b, bl.op('pow', [a, bl.sub(b, bl.scalar(1))]))),
    bl.mul(g, bl.mul(y, bl.op('log', [a]))),
  ],
  samples: [
    { inputs: [{ shape: [2, 3], range: [0.5, 2] }, { shape: [2, 3], range: [-2, 2] }] },
    { inputs: [{ shape: [2, 3], range: [0.5, 2] }, { shape: [], range: [1, 3] }], note: 'scalar exponent' },
  ],
});

export const maximum = binary({
  name: 'maximum',
  doc: 'elementwise max(a, b); ties send the gradient to a',
  dtypes: NUM,
  f: (a, b) => (a >= b ? a : b),
  grad: (bl, a, b, _y, g) => {
    const zero = bl.scalar(0);
    const ma = bl.op('greater_equal', [a, b]);
    return [bl.op('where', [ma, g, zero]), bl.op('where', [ma, zero, g])];
  },
});

export const minimum = binary({
  name: 'minimum',
  doc: 'elementwise min(a, b); ties send the gradient to a',
  dtypes: NUM,
  f: (a, b) => (a <= b ? a : b),
  grad: (bl, a, b, _y, g) => {
    const zero = bl.scalar(0);
    const ma = bl.op('less_equal', [a, b]);
    return [bl.op('where', [ma, g, zero]), bl.op('where', [ma, zero, g])];
  },
});

function compare(name: string, sym: string, f: (a: number, b: number) => boolean, dtypes: DType[]): OpDef {
  return binary({
    name,
    doc: `a ${sym} b -> bool`,
    dtypes,
    out: 'bool',
    f: (a, b) => (f(a, b) ? 1 : 0),
  });
}

export const equal = compare('equal', '===', (a, b) => a === b, ANY);
export const not_equal = compare('not_equal', '!==', (a, b) => a !== b, ANY);
export const greater = compare('greater', '>', (a, b) => a > b, NUM);
export const greater_equal = compare('greater_equal', '>=', (a, b) => a >= b, NUM);
export const less = compare('less', '<', (a, b) => a < b, NUM);
export const less_equal = compare('less_equal', '<=', (a, b) => a <= b, NUM);

export const logical_and = binary({
  name: 'logical_and',
  doc: 'a && b for bool tensors',
  dtypes: ['bool'],
  f: (a, b) => (a && b ? 1 : 0),
  samples: [{ inputs: [{ shape: [2, 3], dtype: 'bool' }, { shape: [3], dtype: 'bool' }] }],
});

export const logical_or = binary({
  name: 'logical_or',
  doc: 'a || b for bool tensors',
  dtypes: ['bool'],
  f: (a, b) => (a || b ? 1 : 0),
  samples: [{ inputs: [{ shape: [2, 3], dtype: 'bool' }, { shape: [3], dtype: 'bool' }] }],
});

export const where: OpDef = {
  name: 'where',
  kind: 'broadcast',
  doc: 'cond ? a : b elementwise (cond bool; a and b share a dtype; all three broadcast)',
  arity: 3,
  attrNames: [],
  infer(inputs: TensorType[], _attrs: Attrs) {
    expectArity('where', inputs, 3);
    const [c, a, b] = inputs;
    if (c.dtype !== 'bool')
      throw new ShapeError(`where: the condition must be bool, got ${c.dtype}${shapeToString(c.shape)}`, 'DNN0018');
    dtypeCheck('where', a, b, ANY);
    let shape;
    try {
      shape = broadcastShapes(broadcastShapes(c.shape, a.shape, 'where'), b.shape, 'where');
    } catch (e) {
      if (!(e instanceof ShapeError)) throw e;
      throw new ShapeError(
        `where: shapes ${shapeToString(c.shape)}, ${shapeToString(a.shape)} and ${shapeToString(b.shape)} do not broadcast`,
      );
    }
    return [{ dtype: a.dtype, shape }];
  },
  reference(inputs) {
    return [refElementwise(inputs, inputs[1].dtype, (c, a, b) => (c ? a : b))];
  },
  grad({ b, node, dy }) {
    const [c, x, y] = node.inputs;
    const g = dy[0];
    if (!g || x.type.dtype !== 'f32') return [undefined, undefined, undefined];
    const zero = b.scalar(0);
    return [
      undefined,
      b.unbroadcast(b.broadcastTo(b.op('where', [c, g, zero]), g.type.shape), x.type.shape),
      b.unbroadcast(b.broadcastTo(b.op('where', [c, zero, g]), g.type.shape), y.type.shape),
    ];
  },
  samples: [
    { inputs: [{ shape: [2, 3], dtype: 'bool' }, { shape: [2, 3] }, { shape: [2, 3] }] },
    { inputs: [{ shape: [2, 3], dtype: 'bool' }, { shape: [3] }, { shape: [2, 1] }], note: 'broadcast values' },
    { inputs: [{ shape: [3], dtype: 'bool' }, { shape: [2, 3] }, { shape: [] }], note: 'broadcast cond, scalar b' },
  ],
};
