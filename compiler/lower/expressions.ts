/**
 * Expressions: literals, names, pipes, operators (numbers, dims and tensors),
 * `data.field`, `zeros[...]`/`ones[...]` and indexing. Evaluated for the
 * LowerContext (which counts the nesting budget in `expr` and calls exprAt).
 */
import type * as A from '../../grammar/ast.js';
import type { Span } from '../../grammar/span.js';
import { didYouMean } from '../diagnostics.js';
import { dimAdd, dimDiv, dimEq, dimMul, dimSub, isStaticDim, shapeToString, type Dim } from '../dims.js';
import type { Value } from '../ir.js';
import { MAX_DIM_EXPRESSION_LENGTH } from '../limits.js';
import { builtins } from './builtins/index.js';
import type { Env } from './env.js';
import { SilentAbort } from './abort.js';
import type { LowerContext } from './context.js';
import { dimHelp, isComparison, isLogical, literalTensor, lowerComparison, lowerLogical, lowerNot, type OperatorContext } from './operators.js';
import { asDim, describe, type LVal } from './values.js';

export function exprAt(lw: LowerContext, e: A.Expr, env: Env, argPosition: boolean): LVal {
  if (lw.b) lw.b.span = e.span;
  switch (e.kind) {
    case 'Number':
      return { kind: 'num', value: e.value, isInt: e.isInt, span: e.span };
    case 'String':
      return { kind: 'str', value: e.value, span: e.span };
    case 'Bool':
      return { kind: 'bool', value: e.value, span: e.span };
    case 'List':
      return { kind: 'list', items: e.items.map((i) => lw.expr(i, env, argPosition)), span: e.span };
    case 'Name':
      return nameRef(lw, e, env, argPosition);
    case 'Call':
      return lw.call(e.callee, e.args, undefined, env, e.span);
    case 'Pipe': {
      const chain: A.Pipe[] = [];
      let inner: A.Expr = e;
      for (; inner.kind === 'Pipe'; inner = inner.input) chain.push(inner);
      let value = lw.expr(inner, env);
      // the call's own span: errors and generated nodes point at `dense(10)`, not the whole chain
      for (let i = chain.length - 1; i >= 0; i--) value = lw.call(chain[i].target.callee, chain[i].target.args, value, env, chain[i].target.span);
      return value;
    }
    case 'Unary': {
      const v = lw.expr(e.operand, env);
      if (e.op === 'not') return lowerNot(operators(lw), v, e.span);
      if (e.op === '+') return v;
      if (v.kind === 'num') return { ...v, value: -v.value, span: e.span };
      if (v.kind === 'dim') return { kind: 'dim', dim: dimMul(v.dim, -1), span: e.span };
      if (v.kind === 'tensor') return { kind: 'tensor', v: lw.op('neg', [v.v], {}, e.span), span: e.span };
      return lw.fail('DNN0017', e.span, { message: `cannot negate ${describe(v)}` });
    }
    case 'Binary': {
      const chain: A.Binary[] = [];
      let inner: A.Expr = e;
      for (; inner.kind === 'Binary'; inner = inner.left) chain.push(inner);
      let value = lw.expr(inner, env);
      for (let i = chain.length - 1; i >= 0; i--) value = binary(lw, chain[i], value, lw.expr(chain[i].right, env));
      return value;
    }
    case 'Index':
    case 'Member': {
      if (e.kind === 'Index' && isFill(lw, e, env)) return fill(lw, e, env);
      const chain: (A.Index | A.Member)[] = [];
      let inner: A.Expr = e;
      for (; (inner.kind === 'Index' && !isFill(lw, inner, env)) || inner.kind === 'Member'; inner = inner.kind === 'Index' ? inner.target : inner.object) chain.push(inner);
      let value = lw.expr(inner, env);
      for (let i = chain.length - 1; i >= 0; i--) {
        const link = chain[i];
        if (lw.b) lw.b.span = link.span;
        value = link.kind === 'Index' ? index(lw, link, value, env) : member(lw, link, value);
      }
      return value;
    }
  }
}

/** `data.image`: a field of the train step's data set. */
export function member(lw: LowerContext, e: A.Member, obj: LVal): LVal {
  if (obj.kind !== 'data') return lw.fail('DNN0017', e.span, { message: `only data sets have fields ('data.image'); lw is ${describe(obj)}` });
  const fields = lw.dataFields;
  const field = fields?.get(e.property.name);
  if (!fields || !field)
    return lw.fail('DNN0003', e.property.span, {
      name: `${obj.spec.name}.${e.property.name}`,
      hint: fields ? `${didYouMean(e.property.name, fields.keys())} (fields: ${[...fields.keys()].join(', ')})` : ' (the fields of lw data set are not known at compile time)',
    });
  const existing = lw.b.graph.input(e.property.name);
  const v = existing ?? lw.b.input(e.property.name, field.dtype, field.shape, 'train');
  v.name = e.property.name;
  return { kind: 'tensor', v, span: e.span };
}

export function nameRef(lw: LowerContext, e: A.Name, env: Env, argPosition: boolean): LVal {
  const found = env.lookup(e.name);
  if (found === 'poisoned') throw new SilentAbort();
  if (found) return { ...found.value, span: e.span } as LVal;
  if (lw.symDims.has(e.name)) return { kind: 'dim', dim: e.name, span: e.span };
  if (argPosition) return { kind: 'sym', name: e.name, span: e.span };
  if (builtins.has(e.name) || lw.blocks.has(e.name))
    return lw.fail('DNN0017', e.span, { message: `'${e.name}' is a function; call it (${e.name}(...)) or pipe into it (x |> ${e.name})` });
  return lw.fail('DNN0003', e.span, { name: e.name, hint: didYouMean(e.name, [...env.names(), ...lw.symDims]) });
}

/** A scalar constant for a number literal next to `like`: it takes like's dtype where it fits (operators.ts). */
export function scalarLike(lw: LowerContext, n: number, like: Value | undefined, span: Span): Value {
  // bool only for comparisons (mask == 1): `mask * 1` should say that the dtypes differ
  const dtype = like?.type.dtype;
  return literalTensor(operators(lw), n, dtype === 'bool' ? undefined : dtype, span);
}

export function operators(lw: LowerContext): OperatorContext {
  return { op: (name, inputs, attrs, span) => lw.op(name, inputs, attrs, span), fail: (code, span, args, help) => lw.fail(code, span, args, help) };
}

/** `l op r` for the evaluated operands of `e`. */
export function binary(lw: LowerContext, e: A.Binary, l: LVal, r: LVal): LVal {
  const op = e.op;
  if (isComparison(op)) return lowerComparison(operators(lw), { ...e, op }, l, r);
  if (isLogical(op)) return lowerLogical(operators(lw), { ...e, op }, l, r);
  if (l.kind === 'num' && r.kind === 'num') {
    const isInt = l.isInt && r.isInt;
    switch (op) {
      case '+':
        return { kind: 'num', value: l.value + r.value, isInt, span: e.span };
      case '-':
        return { kind: 'num', value: l.value - r.value, isInt, span: e.span };
      case '*':
        return { kind: 'num', value: l.value * r.value, isInt, span: e.span };
      case '/':
        return { kind: 'num', value: l.value / r.value, isInt: isInt && l.value % r.value === 0, span: e.span };
      case '**':
        return { kind: 'num', value: l.value ** r.value, isInt: isInt && r.value >= 0, span: e.span };
      case '@':
        return lw.fail('DNN0017', e.opSpan, { message: `'@' multiplies tensors, not numbers` });
    }
  }
  const ld = asDim(l);
  const rd = asDim(r);
  if ((l.kind === 'dim' || r.kind === 'dim') && ld !== undefined && rd !== undefined) {
    let d: Dim | undefined;
    if (e.op === '+') d = dimAdd(ld, rd);
    else if (e.op === '-') d = dimSub(ld, rd);
    else if (e.op === '*') d = dimMul(ld, rd);
    else if (e.op === '/') d = dimDiv(ld, rd);
    if (d === undefined) return lw.fail('DNN0011', e.span, { dim: `${ld} ${e.op} ${rd}`, hint: ' (dims support +, - and * and exact division)' });
    if (typeof d === 'string' && d.length > MAX_DIM_EXPRESSION_LENGTH)
      return lw.fail('DNN0033', e.span, { message: `the dim grows to ${d.length.toLocaleString('en-US')} characters, above the limit of ${MAX_DIM_EXPRESSION_LENGTH} for a symbolic dim` });
    return typeof d === 'number' ? { kind: 'num', value: d, isInt: true, span: e.span } : { kind: 'dim', dim: d, span: e.span };
  }
  if (l.kind !== 'tensor' && r.kind !== 'tensor') return lw.fail('DNN0017', e.opSpan, { message: `cannot apply '${e.op}' to ${describe(l)} and ${describe(r)}` });
  const lt = l.kind === 'tensor' ? l.v : undefined;
  const rt = r.kind === 'tensor' ? r.v : undefined;
  const toTensor = (v: LVal, other: Value | undefined): Value => {
    if (v.kind === 'tensor') return v.v;
    if (v.kind === 'num') return scalarLike(lw, v.value, other, v.span);
    if (v.kind === 'dim') return lw.fail('DNN0051', v.span, { message: `cannot use ${describe(v)} in tensor arithmetic` }, dimHelp(v));
    return lw.fail('DNN0017', v.span, { message: `cannot use ${describe(v)} in tensor arithmetic` });
  };
  const a = toTensor(l, rt);
  const b = toTensor(r, lt);
  switch (op) {
    case '+':
      return { kind: 'tensor', v: lw.op('add', [a, b], {}, e.span), span: e.span };
    case '-':
      return { kind: 'tensor', v: lw.op('sub', [a, b], {}, e.span), span: e.span };
    case '*':
      return { kind: 'tensor', v: lw.op('mul', [a, b], {}, e.span), span: e.span };
    case '/':
      return { kind: 'tensor', v: lw.op('div', [a, b], {}, e.span), span: e.span };
    case '**':
      if (r.kind === 'num' && r.value === 2) return { kind: 'tensor', v: lw.op('square', [a], {}, e.span), span: e.span };
      return { kind: 'tensor', v: lw.op('pow', [a, b], {}, e.span), span: e.span };
    case '@':
      return { kind: 'tensor', v: lw.op('matmul', [a, b], { transA: false, transB: false }, e.span), span: e.span };
  }
}

/** `zeros[B, 32]` / `ones[B, 32]`: constant tensors (unless the name is bound to something else). */
export function isFill(lw: LowerContext, e: A.Index, env: Env): boolean {
  return e.target.kind === 'Name' && (e.target.name === 'zeros' || e.target.name === 'ones') && env.lookup(e.target.name) === undefined;
}

export function fill(lw: LowerContext, e: A.Index, env: Env): LVal {
  const fill = (e.target as A.Name).name;
  const shape = e.items.map((it) => {
    if (it.kind === 'Slice') return lw.fail('DNN0026', it.span, { message: `${fill}[...] takes dims, not slices` });
    return lw.dimExpr(it, env, 'check');
  });
  lw.checkShape(shape, e.span, `${fill}[...]`);
  return { kind: 'tensor', v: lw.op('const', [], { value: fill === 'ones' ? 1 : 0, dtype: 'f32', shape }, e.span), span: e.span };
}

/** `target[items]` for the evaluated target. */
export function index(lw: LowerContext, e: A.Index, target: LVal, env: Env): LVal {
  if (target.kind !== 'tensor') return lw.fail('DNN0026', e.span, { message: `cannot index ${describe(target)}` });
  const x = target.v;
  const shape = x.type.shape;
  // a single integer-tensor index picks along the last axis: log_softmax(l)[action]
  if (e.items.length === 1 && e.items[0].kind !== 'Slice') {
    const idx = lw.expr(e.items[0] as A.Expr, env);
    if (idx.kind === 'tensor') {
      if (idx.v.type.dtype !== 'i32') return lw.fail('DNN0026', idx.span, { message: `an index tensor must be i32, got ${idx.v.type.dtype}` });
      const want = shape.slice(0, -1);
      if (!(idx.v.type.shape.length === want.length && want.every((d, i) => dimEq(d, idx.v.type.shape[i]))))
        return lw.fail('DNN0026', e.span, {
          message: `indexing ${x.type.dtype}${shapeToString(shape)} with a tensor picks along the last axis and needs indices of shape ${shapeToString(want)}, got ${shapeToString(idx.v.type.shape)}`,
        });
      const depth = lw.staticDim(x, shape.length - 1, 'the picked axis', e.span);
      const hot = lw.op('one_hot', [idx.v], { depth }, e.span);
      return { kind: 'tensor', v: lw.op('reduce_sum', [lw.op('mul', [x, hot], {}, e.span)], { axes: [-1], keepdims: false }, e.span), span: e.span };
    }
  }
  if (e.items.length > shape.length)
    return lw.fail('DNN0026', e.span, { message: `too many indices: ${e.items.length} for a rank-${shape.length} tensor ${shapeToString(shape)}` });
  const axes: number[] = [];
  const starts: Dim[] = [];
  const ends: Dim[] = [];
  const steps: number[] = [];
  const drop: number[] = [];
  const intOf = (it: A.Expr | undefined): number | undefined => {
    if (!it) return undefined;
    const v = lw.expr(it, env);
    if (v.kind !== 'num' || !Number.isInteger(v.value)) return lw.fail('DNN0026', it.span, { message: `slice bounds must be integers, got ${describe(v)}` });
    return v.value;
  };
  e.items.forEach((it, axis) => {
    const dim = shape[axis];
    if (it.kind === 'Slice') {
      const start = intOf(it.start);
      const end = intOf(it.end);
      const step = intOf(it.step) ?? 1;
      if (step <= 0) lw.fail('DNN0026', it.span, { message: `slice steps must be positive, got ${step}` });
      if (start === undefined && end === undefined && step === 1) return;
      axes.push(axis);
      starts.push(start ?? 0);
      ends.push(end ?? dim);
      steps.push(step);
    } else {
      const i = intOf(it);
      if (i === undefined) return;
      if (isStaticDim(dim) && (i >= dim || i < -dim)) lw.fail('DNN0026', it.span, { message: `index ${i} is out of range for axis ${axis} of size ${dim}` });
      axes.push(axis);
      starts.push(i);
      ends.push(i === -1 ? dim : i + 1);
      steps.push(1);
      drop.push(axis);
    }
  });
  let v = x;
  if (axes.length) v = lw.op('slice', [x], { axes, starts, ends, steps }, e.span);
  if (drop.length) v = lw.op('reshape', [v], { shape: v.type.shape.filter((_, i) => !drop.includes(i)) }, e.span);
  return { kind: 'tensor', v, span: e.span };
}
