/** Helpers shared by op definitions: broadcasting rules, axes, reference tensors. */
import { dimEq, shapeToString, type Dim, type Shape } from '../dims.js';
import type { DType } from '../ir.js';
import { ShapeError, type RefTensor } from './types.js';

/** numpy broadcasting of two shapes; throws ShapeError naming both shapes. */
export function broadcastShapes(a: Shape, b: Shape, opName: string): Shape {
  const n = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const da = i - (n - a.length) >= 0 ? a[i - (n - a.length)] : 1;
    const db = i - (n - b.length) >= 0 ? b[i - (n - b.length)] : 1;
    if (dimEq(da, db) || dimEq(db, 1)) out.push(da);
    else if (dimEq(da, 1)) out.push(db);
    else
      throw new ShapeError(
        `shapes ${shapeToString(a)} and ${shapeToString(b)} do not broadcast in '${opName}' (dim ${i}: ${da} vs ${db})`,
      );
  }
  return out;
}

/** Turn a possibly negative axis into 0..rank-1; throws ShapeError when out of range. */
export function normAxis(axis: number, rank: number, opName: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new ShapeError(`axis ${axis} is out of range for a rank-${rank} tensor in '${opName}'`, 'DNN0008');
  return a;
}

export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function refTensor(dtype: DType, shape: number[], data?: ArrayLike<number>): RefTensor {
  const n = sizeOf(shape);
  const arr = dtype === 'f32' ? new Float64Array(n) : new Int32Array(n);
  if (data) arr.set(data as ArrayLike<number>);
  return { dtype, shape: [...shape], data: arr };
}

/** Static numeric broadcast shape (for reference implementations). */
export function broadcastNumeric(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[i - (n - a.length)] ?? 1;
    const db = b[i - (n - b.length)] ?? 1;
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** For each flat index of `outShape`, the flat index into a tensor of `inShape` broadcast to it. */
export function broadcastIndexMap(inShape: readonly number[], outShape: readonly number[]): Int32Array {
  const n = sizeOf(outShape);
  const map = new Int32Array(n);
  const rank = outShape.length;
  const lead = rank - inShape.length;
  const inStrides = stridesOf(inShape);
  const outStrides = stridesOf(outShape);
  for (let i = 0; i < n; i++) {
    let rem = i;
    let off = 0;
    for (let d = 0; d < rank; d++) {
      const idx = Math.floor(rem / outStrides[d]);
      rem -= idx * outStrides[d];
      if (d >= lead && inShape[d - lead] !== 1) off += idx * inStrides[d - lead];
    }
    map[i] = off;
  }
  return map;
}

/** Elementwise reference over broadcast inputs. */
export function refElementwise(inputs: RefTensor[], dtype: DType, f: (...xs: number[]) => number): RefTensor {
  const shape = inputs.reduce<number[]>((s, t) => broadcastNumeric(s, t.shape), []);
  const out = refTensor(dtype, shape);
  const maps = inputs.map((t) => broadcastIndexMap(t.shape, shape));
  const xs = new Array<number>(inputs.length);
  for (let i = 0; i < out.data.length; i++) {
    for (let k = 0; k < inputs.length; k++) xs[k] = inputs[k].data[maps[k][i]];
    out.data[i] = f(...xs);
  }
  return out;
}
