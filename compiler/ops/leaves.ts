/** Leaf ops: graph inputs, trainable parameters, optimizer/step state, constants. */
import { evalShape, type Dim, type Shape } from '../dims.js';
import type { DType } from '../ir.js';
import type { OpDef } from './types.js';
import { refTensor } from './util.js';

function leafType(attrs: Record<string, unknown>) {
  return [{ dtype: attrs.dtype as DType, shape: [...(attrs.shape as Dim[])] as Shape }];
}

const noRef = (name: string) => () => {
  throw new Error(`'${name}' has no reference implementation: its value is supplied by the runtime`);
};

export const input: OpDef = {
  name: 'input',
  kind: 'leaf',
  doc: 'a tensor fed by the caller (attrs: name, dtype, shape, role = data | train | hyper)',
  arity: 0,
  attrNames: ['name', 'dtype', 'shape', 'role'],
  infer: (_i, attrs) => leafType(attrs),
  reference: noRef('input'),
  samples: [],
};

export const param: OpDef = {
  name: 'param',
  kind: 'leaf',
  doc: 'a trainable parameter (attrs: path, dtype, shape, init)',
  arity: 0,
  attrNames: ['path', 'dtype', 'shape', 'init'],
  infer: (_i, attrs) => leafType(attrs),
  reference: noRef('param'),
  samples: [],
};

export const state: OpDef = {
  name: 'state',
  kind: 'leaf',
  doc: 'non-trainable persistent state: optimizer moments, step counters (attrs: path, dtype, shape, init)',
  arity: 0,
  attrNames: ['path', 'dtype', 'shape', 'init'],
  infer: (_i, attrs) => leafType(attrs),
  reference: noRef('state'),
  samples: [],
};

/** A constant filled with one value (attrs.value: number), or holding attrs.data (number[]). */
export const constOp: OpDef = {
  name: 'const',
  kind: 'leaf',
  doc: 'a constant tensor: every element attrs.value, or the flat row-major attrs.data',
  arity: 0,
  attrNames: ['value', 'data', 'dtype', 'shape'],
  foldable: true,
  infer: (_i, attrs) => leafType(attrs),
  reference: (_i, attrs, dims) => {
    const shape = evalShape(attrs.shape as Dim[], dims);
    const t = refTensor(attrs.dtype as DType, shape);
    if (Array.isArray(attrs.data)) t.data.set(attrs.data as number[]);
    else t.data.fill(attrs.value as number);
    return [t];
  },
  samples: [],
};

