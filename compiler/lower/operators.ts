/**
 * Lowering of the comparison and logical operators and of number literals
 * next to tensors.
 *
 * - `a < b`, `a == b`, ... on tensors: the registry's compare ops (`less`,
 *   `equal`, ...), a bool tensor; on two numbers (or two bools for `==`,
 *   `!=`): a bool known at compile time.
 * - `a and b`, `a or b`, `not a`: `logical_and`, `logical_or`, `logical_not`
 *   on bool tensors (or compile-time bools). A number or f32 tensor operand is
 *   DNN0050 with a hint to compare first (`x > 0`).
 * - A number literal next to a tensor takes the tensor's dtype: `tokens + 1`
 *   and `minimum(tokens, 1)` on i32 tokens are i32, `mask == 1` on a bool mask
 *   compares with true. A fraction next to an i32 tensor stays f32, so the op
 *   reports its dtype mismatch (DNN0018) with the hint to cast.
 */
import type * as A from '../../grammar/ast.js';
import type { Span } from '../../grammar/span.js';
import type { DiagnosticCode } from '../diagnostics.js';
import type { DType, Value } from '../ir.js';
import { describe, type LVal } from './values.js';

/** What the operators need from the lowerer. */
export interface OperatorContext {
  op(name: string, inputs: Value[], attrs: Record<string, unknown>, span: Span): Value;
  fail(code: DiagnosticCode, span: Span, args: Record<string, string | number>, help?: string): never;
}

const COMPARE_OPS: Record<A.ComparisonOp, string> = {
  '==': 'equal',
  '!=': 'not_equal',
  '<': 'less',
  '<=': 'less_equal',
  '>': 'greater',
  '>=': 'greater_equal',
};

export function isComparison(op: A.BinaryOp): op is A.ComparisonOp {
  return op in COMPARE_OPS;
}

export function isLogical(op: A.BinaryOp): op is A.LogicalOp {
  return op === 'and' || op === 'or';
}

/**
 * The dtype a number literal takes next to a tensor of dtype `like`: i32 for
 * an integral value next to i32, bool for 0 or 1 next to bool, else f32.
 */
export function literalDType(n: number, like: DType | undefined): DType {
  if (like === 'i32' && Number.isInteger(n)) return 'i32';
  if (like === 'bool' && (n === 0 || n === 1)) return 'bool';
  return 'f32';
}

/** A scalar constant for a number literal next to a tensor of dtype `like` (see literalDType). */
export function literalTensor(cx: OperatorContext, n: number, like: DType | undefined, span: Span): Value {
  return cx.op('const', [], { value: n, dtype: literalDType(n, like), shape: [] }, span);
}

const tensorOf = (v: Value, span: Span): LVal => ({ kind: 'tensor', v, span });

/** `l op r` for a comparison. */
export function lowerComparison(cx: OperatorContext, e: A.Binary & { op: A.ComparisonOp }, l: LVal, r: LVal): LVal {
  if (l.kind === 'num' && r.kind === 'num') return { kind: 'bool', value: compareNumbers(e.op, l.value, r.value), span: e.span };
  if (l.kind === 'bool' && r.kind === 'bool' && (e.op === '==' || e.op === '!='))
    return { kind: 'bool', value: (l.value === r.value) === (e.op === '=='), span: e.span };
  const lt = l.kind === 'tensor' ? l.v : undefined;
  const rt = r.kind === 'tensor' ? r.v : undefined;
  if (!lt && !rt) return cx.fail('DNN0017', e.opSpan, { message: `cannot compare ${describe(l)} and ${describe(r)} with '${e.op}'` });
  const a = operand(cx, l, rt, e);
  const b = operand(cx, r, lt, e);
  return tensorOf(cx.op(COMPARE_OPS[e.op], [a, b], {}, e.span), e.span);
}

function compareNumbers(op: A.ComparisonOp, a: number, b: number): boolean {
  switch (op) {
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
  }
}

/** A comparison operand as a tensor: literals take the other side's dtype. */
function operand(cx: OperatorContext, v: LVal, other: Value | undefined, e: A.Binary): Value {
  if (v.kind === 'tensor') return v.v;
  if (v.kind === 'num') return literalTensor(cx, v.value, other?.type.dtype, v.span);
  if (v.kind === 'bool') return cx.op('const', [], { value: v.value ? 1 : 0, dtype: 'bool', shape: [] }, v.span);
  return cx.fail('DNN0017', v.span, { message: `cannot compare ${describe(v)} with '${e.op}'` }, dimHelp(v));
}

/** `l and r`, `l or r`. */
export function lowerLogical(cx: OperatorContext, e: A.Binary & { op: A.LogicalOp }, l: LVal, r: LVal): LVal {
  if (l.kind === 'bool' && r.kind === 'bool') return { kind: 'bool', value: e.op === 'and' ? l.value && r.value : l.value || r.value, span: e.span };
  const a = boolOperand(cx, l, e.op);
  const b = boolOperand(cx, r, e.op);
  return tensorOf(cx.op(e.op === 'and' ? 'logical_and' : 'logical_or', [a, b], {}, e.span), e.span);
}

/** `not x`. */
export function lowerNot(cx: OperatorContext, v: LVal, span: Span): LVal {
  if (v.kind === 'bool') return { kind: 'bool', value: !v.value, span };
  return tensorOf(cx.op('logical_not', [boolOperand(cx, v, 'not')], {}, span), span);
}

function boolOperand(cx: OperatorContext, v: LVal, op: string): Value {
  if (v.kind === 'bool') return cx.op('const', [], { value: v.value ? 1 : 0, dtype: 'bool', shape: [] }, v.span);
  if (v.kind === 'tensor' && v.v.type.dtype === 'bool') return v.v;
  return cx.fail(
    'DNN0050',
    v.span,
    { op, what: describe(v) },
    v.kind === 'tensor' || v.kind === 'num' ? `'${op}' works on bools: compare first, e.g. 'x > 0' or 'x != 0' (true where x is nonzero)` : dimHelp(v),
  );
}

/** The help for a dim used where a tensor is needed: its value as a tensor is dim(B). */
export function dimHelp(v: LVal): string | undefined {
  if (v.kind !== 'dim') return undefined;
  const text = String(v.dim);
  const arg = /^[A-Za-z_][A-Za-z0-9_]*$/.test(text) ? text : `(${text})`;
  return `${text} is a dimension (a size known when the inputs are bound), not a tensor; write dim(${arg}) for its value as an f32 scalar`;
}
