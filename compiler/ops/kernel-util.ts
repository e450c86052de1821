/**
 * Helpers for writing CPU kernel bodies (JS source) in op definitions, and
 * for reading common attributes. Shapes in kernels are JS expression strings
 * per dim ("784", "dims.B"); these helpers multiply them without blowing up
 * the text and emit nested loops that walk several strided buffers at once.
 */
import type { Attrs, DType, TensorType } from '../ir.js';
import { dimProduct, dimToJs, isDimName, shapeToString, type Dim } from '../dims.js';
import { ShapeError, type WgslKernel } from './types.js';

/**
 * The value of a constant filled with one number (`const` with attrs.value),
 * which fused loops write as a literal instead of reading a buffer.
 */
export function fillConstant(v: { node: { op: string; attrs: Record<string, unknown> } }): number | undefined {
  return v.node.op === 'const' && typeof v.node.attrs.value === 'number' ? v.node.attrs.value : undefined;
}

/** A number as a JS literal that is safe inside any expression. */
export function num(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '(-Infinity)';
  const s = String(x);
  return x < 0 || Object.is(x, -0) ? `(${s})` : s;
}

/** `e` wrapped in parentheses unless it is a plain name, member access or number. */
export function paren(e: string): string {
  return /^[\w.$]+$/.test(e) ? e : `(${e})`;
}

/** Product of dim expressions, folding numeric literals ("1" disappears). */
export function mulExpr(parts: readonly string[]): string {
  let k = 1;
  const syms: string[] = [];
  for (const p of parts) {
    if (/^\d+$/.test(p)) k *= Number(p);
    else syms.push(paren(p));
  }
  if (k === 0) return '0';
  if (syms.length === 0) return String(k);
  const factors = k === 1 ? syms : [String(k), ...syms];
  return factors.length === 1 ? factors[0] : `(${factors.join('*')})`;
}

/** Emits `const <prefix><d> = ...` for the row-major strides of `shape`; returns the stride names (or literals). */
export function emitStrides(shape: readonly string[], prefix: string, lines: string[]): string[] {
  const out = new Array<string>(shape.length);
  let acc = '1';
  for (let d = shape.length - 1; d >= 0; d--) {
    if (/^\d+$/.test(acc)) out[d] = acc;
    else {
      out[d] = `${prefix}${d}`;
      lines.push(`const ${prefix}${d} = ${acc};`);
    }
    acc = /^\d+$/.test(acc) ? mulExpr([acc, shape[d]]) : mulExpr([out[d], shape[d]]);
  }
  return out;
}

export interface Stream {
  /** start offset expression */
  base: string;
  /** per loop level, the stride expression ("0" for broadcast) */
  strides: string[];
}

/**
 * Nested loops over `sizes` (outermost first), advancing one offset per stream.
 * `body` gets the offset variable names of the innermost level. Rank 0 runs the body once.
 */
export function nestedLoops(sizes: readonly string[], streams: readonly Stream[], body: (offs: string[]) => string, tag = 'l'): string {
  const lines: string[] = ['{'];
  let cur = streams.map((s, k) => {
    lines.push(`let ${tag}${k}_b = ${s.base};`);
    return `${tag}${k}_b`;
  });
  let close = '';
  for (let d = 0; d < sizes.length; d++) {
    const next = streams.map((_, k) => `${tag}${k}_${d}`);
    const inits = next.map((n, k) => `${n} = ${cur[k]}`).join(', ');
    const steps = streams
      .map((s, k) => (s.strides[d] === '0' ? '' : `${next[k]} += ${s.strides[d]}`))
      .filter((x) => x)
      .join(', ');
    lines.push(`for (let ${tag}i${d} = 0, ${inits}; ${tag}i${d} < ${paren(sizes[d])}; ${tag}i${d}++${steps ? ', ' + steps : ''}) {`);
    close += '}';
    cur = next;
  }
  lines.push(body(cur));
  lines.push(close + '}');
  return lines.join('\n');
}

export function boolAttr(attrs: Attrs, name: string, dflt: boolean): boolean {
  const v = attrs[name];
  return v === undefined || v === null ? dflt : Boolean(v);
}

export function numAttr(attrs: Attrs, name: string, dflt: number): number {
  const v = attrs[name];
  return typeof v === 'number' ? v : dflt;
}

export function numsAttr(attrs: Attrs, name: string): number[] | undefined {
  const v = attrs[name];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw new ShapeError(`attribute '${name}' must be a list of numbers`, 'DNN0022');
  return (v as unknown[]).map((x) => Number(x));
}

/** Throws a DNN0018 ShapeError unless `t.dtype` is one of `allowed`. */
export function expectDtype(op: string, t: TensorType, allowed: readonly DType[], what = 'input'): void {
  if (!allowed.includes(t.dtype))
    throw new ShapeError(
      `${op}: ${what} must be ${allowed.join(' or ')}, got ${t.dtype}${shapeToString(t.shape)}`,
      'DNN0018',
    );
}

export function expectArity(op: string, inputs: readonly unknown[], n: number): void {
  if (inputs.length !== n) throw new ShapeError(`${op}: expects ${n} input(s), got ${inputs.length}`, 'DNN0017');
}

// ---------------------------------------------------------------- WGSL helpers
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

// ---------------------------------------------------------------- gpu.js helpers
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
