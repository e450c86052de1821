/**
 * Sequence ops: embedding lookup and its gradient, positions.
 *
 * gather(table f32[V, D], indices i32[...]) -> f32[..., D]: row indices[i] of
 *   the table for every index (an embedding lookup). An index outside [0, V)
 *   is a run-time Error naming the indices input and the position, e.g.
 *   "token id 70 at position 3 of 'tokens' is outside the vocabulary [0, 65)".
 *   The GPU kernels (webgpu, gpujs) cannot throw: there an out-of-range id
 *   is clamped to [0, V - 1] (it reads row 0 or row V - 1), see
 *   codegen/wgsl/ops/sequence.ts.
 *   Gradient to the table: scatter_add(dy, indices, rows: V); none to the
 *   (integer) indices.
 * scatter_add(updates f32[..., D], indices i32[...]) attrs rows -> f32[rows, D]:
 *   zeros, then out[indices[i]] += updates[i] for every index (repeated ids
 *   accumulate); out-of-range indices are skipped. Its gradient to the
 *   updates is gather(dy, indices).
 * iota() attrs shape (symbolic dims allowed), axis, dtype = f32 -> the index
 *   along `axis` at every position (iota([T, T], 0) < iota([T, T], 1) is the
 *   part above the diagonal: causal masks for a symbolic T).
 */
import { dimEq, evalShape, normDim, shapeToString, type Dim } from '../dims.js';
import type { Attrs, DType, TensorType } from '../ir.js';
import { ShapeError, type OpDef } from './types.js';
import { refTensor, sizeOf, stridesOf } from './util.js';
import { expectArity, expectDtype, numAttr } from './kernel-util.js';

/** The name of the indices value for run-time messages. */
export function indicesName(attrs: Attrs, fallback: string | undefined): string {
  const n = attrs.what;
  return typeof n === 'string' && n ? n : fallback ?? 'the indices';
}

function outOfRange(id: number, pos: number, what: string, V: number): string {
  return `token id ${id} at position ${pos} of ${what} is outside the vocabulary [0, ${V})`;
}

function checkTable(op: string, t: TensorType, what = 'the table'): void {
  expectDtype(op, t, ['f32'], what);
  if (t.shape.length !== 2) throw new ShapeError(`${op}: ${what} must be a matrix [V, D], got ${t.dtype}${shapeToString(t.shape)}`, 'DNN0008');
}

// ---------------------------------------------------------------- gather

export const gather: OpDef = {
  name: 'gather',
  kind: 'injective',
  doc: 'embedding lookup: table f32[V, D], indices i32[...] -> f32[..., D]; an index outside [0, V) is a run-time error (attrs.what names the indices in it)',
  arity: 2,
  attrNames: ['what'],
  infer(inputs) {
    expectArity('gather', inputs, 2);
    const [table, idx] = inputs;
    checkTable('gather', table);
    if (idx.dtype !== 'i32')
      throw new ShapeError(`gather: the indices must be i32 token ids, got ${idx.dtype}${shapeToString(idx.shape)}`, 'DNN0018', 'declare the input as i32[...], or cast(x, dtype: i32)');
    return [{ dtype: 'f32', shape: [...idx.shape, table.shape[1]] }];
  },
  reference(inputs, attrs) {
    const [table, idx] = inputs;
    const [V, D] = table.shape;
    const out = refTensor('f32', [...idx.shape, D]);
    const what = `'${indicesName(attrs, undefined)}'`;
    for (let i = 0; i < idx.data.length; i++) {
      const id = idx.data[i];
      if (!(id >= 0 && id < V)) throw new Error(outOfRange(id, i, what, V));
      for (let d = 0; d < D; d++) out.data[i * D + d] = table.data[id * D + d];
    }
    return [out];
  },
  grad({ b, node, dy }) {
    if (!dy[0]) return [undefined, undefined];
    const rows = node.inputs[0].type.shape[0];
    return [b.op('scatter_add', [dy[0], node.inputs[1]], { rows }), undefined];
  },
  samples: [
    { inputs: [{ shape: [5, 3] }, { shape: [4], dtype: 'i32', range: [0, 5] }] },
    { inputs: [{ shape: [4, 2] }, { shape: [2, 3, 2], dtype: 'i32', range: [0, 4] }], note: 'rank-3 indices, repeated ids' },
  ],
};

// ---------------------------------------------------------------- scatter_add

function rowsAttr(attrs: Attrs, op: string): Dim {
  const r = attrs.rows;
  if (typeof r === 'number' && Number.isInteger(r) && r > 0) return r;
  if (typeof r === 'string') return normDim(r);
  throw new ShapeError(`${op}: attribute rows must be a positive integer, got ${String(r)}`, 'DNN0022');
}

export const scatter_add: OpDef = {
  name: 'scatter_add',
  kind: 'opaque',
  doc: 'the gradient of gather: updates f32[..., D], indices i32[...] -> f32[attrs.rows, D], zeros plus updates[i] added at row indices[i] (out-of-range ids are skipped)',
  arity: 2,
  attrNames: ['rows'],
  infer(inputs, attrs) {
    expectArity('scatter_add', inputs, 2);
    const [upd, idx] = inputs;
    expectDtype('scatter_add', upd, ['f32'], 'the updates');
    expectDtype('scatter_add', idx, ['i32'], 'the indices');
    const lead = upd.shape.slice(0, -1);
    const ok = upd.shape.length === idx.shape.length + 1 && lead.every((d, i) => dimEq(d, idx.shape[i]));
    if (!ok)
      throw new ShapeError(`scatter_add: updates ${shapeToString(upd.shape)} must be the indices' shape ${shapeToString(idx.shape)} plus a feature axis`);
    return [{ dtype: 'f32', shape: [rowsAttr(attrs, 'scatter_add'), upd.shape[upd.shape.length - 1]] }];
  },
  reference(inputs, attrs, dims) {
    const [upd, idx] = inputs;
    const r = rowsAttr(attrs, 'scatter_add');
    const V = typeof r === 'number' ? r : evalShape([r], dims)[0];
    const D = upd.shape[upd.shape.length - 1];
    const out = refTensor('f32', [V, D]);
    for (let i = 0; i < idx.data.length; i++) {
      const id = idx.data[i];
      if (!(id >= 0 && id < V)) continue;
      for (let d = 0; d < D; d++) out.data[id * D + d] += upd.data[i * D + d];
    }
    return [out];
  },
  grad({ b, node, dy }) {
    if (!dy[0]) return [undefined, undefined];
    return [b.op('gather', [dy[0], node.inputs[1]]), undefined];
  },
  samples: [
    { inputs: [{ shape: [4, 3] }, { shape: [4], dtype: 'i32', range: [0, 3] }], attrs: { rows: 5 } },
    { inputs: [{ shape: [2, 3, 2] }, { shape: [2, 3], dtype: 'i32', range: [0, 4] }], attrs: { rows: 4 }, note: 'rank-2 indices, repeated ids' },
  ],
};

// ---------------------------------------------------------------- iota

function iotaShape(attrs: Attrs): Dim[] {
  const s = attrs.shape;
  if (!Array.isArray(s) || s.length === 0) throw new ShapeError(`iota: attribute shape must be a non-empty list of dims`, 'DNN0022');
  return (s as Dim[]).map((d) => (typeof d === 'number' ? d : normDim(d)));
}

export function iotaAxis(attrs: Attrs, rank: number): number {
  const a = numAttr(attrs, 'axis', 0);
  const ax = a < 0 ? a + rank : a;
  if (!Number.isInteger(ax) || ax < 0 || ax >= rank) throw new ShapeError(`iota: axis ${a} is out of range for a rank-${rank} shape`, 'DNN0008');
  return ax;
}

function iotaDtype(attrs: Attrs): DType {
  const d = attrs.dtype ?? 'f32';
  if (d !== 'f32' && d !== 'i32') throw new ShapeError(`iota: dtype must be f32 or i32, got ${String(d)}`, 'DNN0022');
  return d;
}

export const iota: OpDef = {
  name: 'iota',
  kind: 'opaque',
  doc: 'positions: a tensor of attrs.shape (symbolic dims allowed) holding the index along attrs.axis (default 0), as attrs.dtype (f32 or i32)',
  arity: 0,
  attrNames: ['shape', 'axis', 'dtype'],
  infer(inputs, attrs) {
    expectArity('iota', inputs, 0);
    const shape = iotaShape(attrs);
    iotaAxis(attrs, shape.length);
    return [{ dtype: iotaDtype(attrs), shape }];
  },
  reference(_inputs, attrs, dims) {
    const shape = evalShape(iotaShape(attrs), dims);
    const ax = iotaAxis(attrs, shape.length);
    const out = refTensor(iotaDtype(attrs), shape);
    const st = stridesOf(shape);
    for (let i = 0; i < sizeOf(shape); i++) out.data[i] = Math.floor(i / st[ax]) % shape[ax];
    return [out];
  },
  samples: [
    { inputs: [], attrs: { shape: [3, 4], axis: 1 } },
    { inputs: [], attrs: { shape: [2, 3, 2], axis: 1, dtype: 'i32' } },
  ],
};

