/**
 * Helpers the op definitions share: reading common attributes, checking
 * arity and dtypes, and recognising constant fills. The helpers that write
 * kernel source are the backends' (codegen/cpu/util.ts, codegen/wgsl/util.ts,
 * codegen/gpujs/util.ts).
 */
import type { Attrs, DType, TensorType } from '../ir.js';
import { shapeToString } from '../dims.js';
import { ShapeError } from './types.js';

/**
 * The value of a constant filled with one number (`const` with attrs.value),
 * which fused loops write as a literal instead of reading a buffer.
 */
export function fillConstant(v: { node: { op: string; attrs: Record<string, unknown> } }): number | undefined {
  return v.node.op === 'const' && typeof v.node.attrs.value === 'number' ? v.node.attrs.value : undefined;
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
