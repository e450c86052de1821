/** Helpers for writing WGSL kernels. */
import { dimToJs, isDimName, type Dim } from '../../compiler/dims.js';
import type { DType } from '../../compiler/ir.js';
import type { WgslKernel } from './types.js';

// Shapes in WGSL kernels are u32 expressions: literals ("784u") or reads of
// the dims uniform ("dims.B"); these helpers fold literals and emit the index
// math (unravel a linear index, strides) shared by the WGSL renderers.

/** A Dim as a WGSL u32 expression: `784u`, `dims.B`, or `u32(2*i32(dims.T)-1)` for polynomials. */
export function wgslDim(d: Dim): string {
  if (typeof d === 'number') return `${d}u`;
  if (isDimName(d)) return `dims.${d}`;
  return `u32${dimToJs(d, 'dims').replace(/dims\.([\p{L}\p{N}_]+)/gu, 'i32(dims.$1)')}`;
}

const wIsLit = (e: string) => /^\d+u$/.test(e);
const wVal = (e: string) => Number(e.slice(0, -1));

/** true when a WGSL u32 expression is a literal; its value */
export function wgslLiteral(e: string): number | undefined {
  return wIsLit(e) ? wVal(e) : undefined;
}

/** Product of WGSL u32 expressions, folding literals (`1u` disappears). */
export function wgslMul(parts: readonly string[]): string {
  let k = 1;
  const syms: string[] = [];
  for (const p of parts) {
    if (wIsLit(p)) k *= wVal(p);
    else syms.push(/^[\w.]+$/.test(p) ? p : `(${p})`);
  }
  if (k === 0) return '0u';
  if (syms.length === 0) return `${k}u`;
  const factors = k === 1 ? syms : [`${k}u`, ...syms];
  return factors.length === 1 ? factors[0] : `(${factors.join(' * ')})`;
}

/** Row-major strides of a shape of WGSL u32 expressions. */
export function wgslStrides(shape: readonly string[]): string[] {
  const out = new Array<string>(shape.length);
  let acc = '1u';
  for (let d = shape.length - 1; d >= 0; d--) {
    out[d] = acc;
    acc = wgslMul([acc, shape[d]]);
  }
  return out;
}

/**
 * Statements that split the linear index `idx` over `shape` into coordinates
 * `${prefix}0..`; returns their names (a literal `0u` for dims of size 1).
 */
export function wgslUnravel(idx: string, shape: readonly string[], prefix: string, lines: string[]): string[] {
  const coords = new Array<string>(shape.length);
  if (shape.length === 0) return coords;
  let first = true;
  const r = `${prefix}_r`;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] === '1u') {
      coords[d] = '0u';
      continue;
    }
    const src = first ? idx : r;
    const outermost = shape.slice(0, d).every((s) => s === '1u');
    if (outermost) {
      lines.push(`let ${prefix}${d} = ${src};`);
    } else {
      if (first) lines.push(`var ${r} = ${idx};`);
      lines.push(`let ${prefix}${d} = ${r} % ${shape[d]};`, `${r} = ${r} / ${shape[d]};`);
    }
    coords[d] = `${prefix}${d}`;
    first = false;
  }
  return coords;
}

/** Σ coord * stride as WGSL, skipping zero terms; `0u` when empty. */
export function wgslDot(coords: readonly string[], strides: readonly string[]): string {
  const terms: string[] = [];
  coords.forEach((c, d) => {
    const s = strides[d];
    if (c === '0u' || s === '0u') return;
    terms.push(s === '1u' ? c : `${c} * ${/^[\w.]+$/.test(s) ? s : `(${s})`}`);
  });
  return terms.length ? terms.join(' + ') : '0u';
}

/**
 * A number as a WGSL literal of a dtype's logical type (f32 / i32 / bool).
 * WGSL constant expressions cannot hold infinities or NaN: ±Infinity becomes
 * the largest finite f32 (right for max/min identities), NaN a runtime bitcast.
 */
export function wgslNum(x: number, dtype: DType = 'f32'): string {
  if (dtype === 'bool') return x ? 'true' : 'false';
  if (dtype === 'i32') return x < 0 ? `(${x | 0})` : `${x | 0}`;
  if (Number.isNaN(x)) return 'bitcast<f32>(0x7fc00000u)'; // a constant NaN is rejected by WGSL; no op emits one today
  if (Math.abs(x) >= 3.4028234663852886e38) return x > 0 ? '3.4028234663852886e38' : '(-3.4028234663852886e38)';
  let s = String(x);
  if (!/[.eE]/.test(s)) s += '.0';
  return x < 0 || Object.is(x, -0) ? `(${s})` : s;
}

/** The WGSL storage element type of a dtype: bool is stored as u32 (0 or 1). */
export function wgslStorageType(dtype: DType): string {
  return dtype === 'f32' ? 'f32' : dtype === 'i32' ? 'i32' : 'u32';
}

/** Convert a loaded storage value to its logical type (bool: `!= 0u`). */
export function wgslLoad(expr: string, dtype: DType): string {
  return dtype === 'bool' ? `(${expr} != 0u)` : expr;
}

/** Convert a logical value to its storage type (bool: select(0u, 1u, e)). */
export function wgslStore(expr: string, dtype: DType): string {
  return dtype === 'bool' ? `select(0u, 1u, ${expr})` : expr;
}

/** Workgroup size of one-thread-per-element WGSL kernels. */
export const WGSL_ELEMENTWISE_WG = 256;

/**
 * A one-thread-per-output WGSL kernel over `total` elements: `body` runs with
 * `idx < n` checked (statements; `idx` is the element index).
 */
export function wgslPerElement(total: Dim, body: string): WgslKernel {
  return {
    body: `let n = ${wgslDim(total)};\nif (idx < n) {\n${body}\n}`,
    workgroupSize: [WGSL_ELEMENTWISE_WG],
    workgroups: [{ items: total, per: WGSL_ELEMENTWISE_WG }],
  };
}
