/**
 * element_count: the number of elements of attrs.shape as an f32 scalar,
 * evaluated when the symbolic dims are bound (B in a mean's gradient). An
 * elementwise op without operands, so it costs no kernel: fusion recomputes
 * it inside whichever kernel needs it (where a ones tensor and a sum over it
 * took a kernel of their own).
 */
import { dimProduct, evalDim, type Dim } from '../dims.js';
import { expectArity } from './kernel-util.js';
import { ShapeError, type OpDef } from './types.js';
import type { Attrs } from '../ir.js';
import { refTensor } from './util.js';

export function countOf(attrs: Attrs): Dim {
  const shape = attrs.shape;
  if (!Array.isArray(shape) || shape.some((d) => typeof d !== 'number' && typeof d !== 'string'))
    throw new ShapeError(`element_count: attrs.shape must be a list of dims, got ${JSON.stringify(shape)}`, 'DNN0022');
  return dimProduct(shape as Dim[]);
}

export const element_count: OpDef = {
  name: 'element_count',
  kind: 'elementwise',
  doc: 'the number of elements of attrs.shape (symbolic dims allowed), as f32[]',
  arity: 0,
  attrNames: ['shape'],
  infer(inputs, attrs) {
    expectArity('element_count', inputs, 0);
    countOf(attrs);
    return [{ dtype: 'f32', shape: [] }];
  },
  reference(_inputs, attrs, dims) {
    const out = refTensor('f32', []);
    out.data[0] = evalDim(countOf(attrs), dims);
    return [out];
  },
  // symbolic shapes are exercised by every model whose loss is a mean over a symbolic batch
  samples: [{ inputs: [], attrs: { shape: [3, 4] } }],
};
