/** Helpers the shape ops share (shape.ts, slice.ts). */
import { normDim, type Dim } from '../dims.js';
import type { Attrs } from '../ir.js';
import { ShapeError } from './types.js';
import { sizeOf } from './util.js';

/** An `ends` entry at least this large means "to the end of the axis" (also for symbolic dims). */
export const SLICE_END = 2147483647;

export function dimsAttr(attrs: Attrs, name: string, op: string): Dim[] {
  const v = attrs[name];
  if (!Array.isArray(v)) throw new ShapeError(`${op}: attribute '${name}' must be a list of dims`, 'DNN0022');
  return (v as Dim[]).map((d) => (typeof d === 'number' ? d : normDim(d)));
}

/** Inverts each position of an iteration over `shape` (for references). */
export function forEachIndex(shape: readonly number[], f: (idx: number[], flat: number) => void): void {
  const n = sizeOf(shape);
  const idx = new Array<number>(shape.length).fill(0);
  for (let flat = 0; flat < n; flat++) {
    f(idx, flat);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
}
