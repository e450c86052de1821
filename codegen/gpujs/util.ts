/** Helpers for writing gpu.js kernels. */
import { dimProduct, type Dim } from '../../compiler/dims.js';
import type { DType } from '../../compiler/ir.js';
import { num, paren } from '../cpu/util.js';

// gpu.js kernels compute one output element per thread, in float arithmetic
// (WebGL has no integer textures): indices are floats holding integers, exact
// below 2^24. GPU float division is not always correctly rounded (x * 1/y),
// so an integer quotient is floor((a + 0.5) / n), which stays right for any
// a, n < 2^22. Dims are literals or `@{<dim>}` placeholders the runtime
// replaces with the bound value (kernels are made per batch size), so every
// loop bound is a constant, as WebGL requires.

/** A Dim as gpu.js source: `784`, or `@{B}` / `@{2*T-1}` (replaced at run time). */
export function gpujsDim(d: Dim): string {
  return typeof d === 'number' ? String(d) : `@{${d}}`;
}

/** The product of dims as gpu.js source (one literal or one placeholder). */
export function gpujsMul(dims: readonly Dim[]): string {
  return gpujsDim(dimProduct(dims));
}

/** Row-major strides of a shape, as gpu.js source. */
export function gpujsStrides(shape: readonly Dim[]): string[] {
  return shape.map((_, d) => gpujsMul(shape.slice(d + 1)));
}

/** floor(a / n) for non-negative integers held in floats (exact on GPUs whose division is not correctly rounded). */
export function gpujsIdiv(a: string, n: string): string {
  if (n === '1') return a;
  return `Math.floor((${a} + 0.5) / ${n})`;
}

/**
 * Statements that split the flat index `idx` over `shape` into coordinates
 * `${prefix}0..` (consts only: gpu.js types a variable once); returns their
 * names, or `0` for dims of size 1.
 */
export function gpujsUnravel(idx: string, shape: readonly Dim[], prefix: string, lines: string[]): string[] {
  const coords = new Array<string>(shape.length);
  let cur = idx;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] === 1) {
      coords[d] = '0';
      continue;
    }
    const outermost = shape.slice(0, d).every((s) => s === 1);
    if (outermost) {
      coords[d] = cur;
      continue;
    }
    const n = gpujsDim(shape[d]);
    lines.push(`const ${prefix}q${d} = ${gpujsIdiv(cur, n)};`, `const ${prefix}${d} = ${cur} - ${prefix}q${d} * ${n};`);
    coords[d] = `${prefix}${d}`;
    cur = `${prefix}q${d}`;
  }
  return coords;
}

/** Σ coord * stride as gpu.js source, skipping zero terms; `0` when empty. */
export function gpujsDot(coords: readonly string[], strides: readonly string[]): string {
  const terms: string[] = [];
  coords.forEach((c, d) => {
    const s = strides[d];
    if (c === '0' || s === '0') return;
    terms.push(s === '1' ? c : `${paren(c)} * ${s}`);
  });
  return terms.length ? terms.join(' + ') : '0';
}

/** A number as a gpu.js literal (finite: ±Infinity becomes ±3.4e38, the f32 range; bool and i32 as their number). */
export function gpujsNum(x: number, dtype: DType = 'f32'): string {
  if (dtype === 'bool') return x ? '1' : '0';
  if (dtype === 'i32') return num(x | 0);
  if (Number.isNaN(x)) return '(0 / 0)';
  if (Math.abs(x) >= 3.4028234663852886e38) return x > 0 ? '3.4e38' : '(-3.4e38)';
  return num(x);
}
