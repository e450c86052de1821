/**
 * Blocks: a user block called with arguments (its typed parameters unified
 * with the arguments' shapes), `repeat` (the body unrolled under numbered
 * scopes) and `scan` (a cell block unrolled along an axis with one set of
 * weights).
 */
import type * as A from '../../grammar/ast.js';
import type { Span } from '../../grammar/span.js';
import { didYouMean } from '../diagnostics.js';
import { dimEq, shapeToString, type Dim } from '../dims.js';
import type { Value } from '../ir.js';
import { MAX_UNROLL } from '../limits.js';
import { bindArgs } from './arguments.js';
import type { ParamType } from './builtin.js';
import { Env } from './env.js';
import { SilentAbort } from './abort.js';
import type { BodyHooks, LowerContext } from './context.js';
import { describe, type LVal } from './values.js';

export function repeat(lw: LowerContext, s: A.Repeat, env: Env, where: string, hooks: BodyHooks): void {
  const count = lw.expr(s.count, env);
  if (count.kind !== 'num' || !Number.isInteger(count.value) || count.value < 0)
    lw.fail('DNN0017', s.count.span, { message: `repeat needs a non-negative integer count, got ${describe(count)}` });
  if (count.value > MAX_UNROLL) lw.fail('DNN0033', s.count.span, { message: `repeat ${count.value} is above the limit of ${MAX_UNROLL.toLocaleString('en-US')} iterations` });
  const label = s.as?.name ?? 'layers';
  const parent = lw.scopes[lw.scopes.length - 1];
  for (let i = 0; i < count.value; i++) {
    lw.scopes.push({ path: `${parent.path}.${label}.${i}`, counters: new Map() });
    try {
      // bindings inside the body update the enclosing environment (h = Layer(h))
      for (const st of s.body) lw.statement(st, env, where === 'block' ? 'block' : 'model', hooks);
    } finally {
      lw.scopes.pop();
    }
  }
}

export function callBlock(lw: LowerContext, block: A.BlockDecl, args: A.Arg[], piped: LVal | undefined, env: Env, span: Span): LVal {
  const name = block.name.name;
  if (lw.callStack.some((f) => f.block === name)) {
    const chain = [...lw.callStack.map((f) => f.block), name].join(' -> ');
    lw.fail('DNN0012', span, { name, chain });
  }
  const params = block.params.map((p) => ({
    name: p.name.name,
    type: (p.type.kind === 'TensorType' ? 'tensor' : p.type.name === 'int' ? 'int' : p.type.name === 'float' ? 'num' : p.type.name === 'bool' ? 'bool' : 'str') as ParamType,
    optional: p.default !== undefined,
  }));
  const { bound } = bindArgs(lw, name, params, args, piped, env, span, false);
  const parent = lw.scopes[lw.scopes.length - 1];
  const n = (parent.counters.get(name) ?? 0) + 1;
  parent.counters.set(name, n);
  return enterBlock(lw, block, bound, span, `${parent.path}.${name}_${n}`);
}

/** Lower a block's body with bound arguments, its layers named under `path`. */
export function enterBlock(lw: LowerContext, block: A.BlockDecl, bound: Map<string, LVal>, span: Span, path: string): LVal {
  const name = block.name.name;
  const benv = new Env(lw.globals);
  // argument shapes are checked at the call site, before entering the block
  for (const p of block.params) {
    const v = bound.get(p.name.name) ?? lw.expr(p.default!, benv, true);
    if (p.type.kind === 'TensorType' && v.kind === 'tensor') unify(lw, p.type, v.v, benv, p, span);
    benv.set(p.name.name, v, p.name.span);
  }
  lw.callStack.push({ block: name, span });
  lw.scopes.push({ path, counters: new Map() });
  try {
    let result: LVal | undefined;
    for (const st of block.body)
      lw.statement(st, benv, 'block', {
        onReturn: (v) => {
          result = v;
        },
      });
    if (!result) {
      if (!block.body.some((s) => s.kind === 'Return')) lw.fail('DNN0025', block.name.span, { name });
      throw new SilentAbort();
    }
    if (block.returns?.kind === 'TensorType' && result.kind === 'tensor') {
      const want = lw.tensorType(block.returns, benv, 'check');
      const got = result.v.type;
      if (want.dtype !== got.dtype || want.shape.length !== got.shape.length || !want.shape.every((d, i) => dimEq(d, got.shape[i])))
        lw.fail('DNN0010', result.span, { name: `of block ${name}`, declared: `${want.dtype}${shapeToString(want.shape)}`, actual: `${got.dtype}${shapeToString(got.shape)}` });
    }
    return { ...result, span };
  } finally {
    lw.scopes.pop();
    lw.callStack.pop();
  }
}

/**
 * `scan(Cell, over: x, axis: 1, init: h0, reverse: false)`: the block Cell(x_t, h) -> h
 * applied along `axis` of x, unrolled over its (static) length with one set of
 * weights; returns every step's state stacked on that axis ([B, T, H]).
 */
export function scan(lw: LowerContext, callee: A.Name, args: A.Arg[], piped: LVal | undefined, env: Env, span: Span): LVal {
  const cellArg = args.find((a) => !a.name);
  if (!cellArg || cellArg.value.kind !== 'Name' || !lw.blocks.has(cellArg.value.name))
    return lw.fail('DNN0017', cellArg?.span ?? callee.span, {
      message: `scan's first argument is the cell: a block (x_t, state) -> state${cellArg?.value.kind === 'Name' ? didYouMean(cellArg.value.name, lw.blocks.keys()) : ''}`,
    });
  const cell = lw.blocks.get(cellArg.value.name)!;
  const rest = args.filter((a) => a !== cellArg);
  const params = [
    { name: 'over', type: 'tensor' as ParamType, optional: false },
    { name: 'axis', type: 'int' as ParamType, optional: true },
    { name: 'init', type: 'tensor' as ParamType, optional: false },
    { name: 'reverse', type: 'bool' as ParamType, optional: true },
  ];
  const { bound } = bindArgs(lw, 'scan', params, rest, piped, env, span, false);
  const x = (bound.get('over') as Extract<LVal, { kind: 'tensor' }>).v;
  const rank = x.type.shape.length;
  const axisArg = bound.get('axis');
  let axis = axisArg?.kind === 'num' ? axisArg.value : 1;
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) lw.fail('DNN0008', axisArg?.span ?? span, { message: `scan: axis ${axis} is out of range for ${x.type.dtype}${shapeToString(x.type.shape)}` });
  const T = x.type.shape[axis];
  if (typeof T !== 'number')
    lw.fail('DNN0015', span, { what: `scan over a symbolic length (${T})`, hint: '; give that axis a fixed size, e.g. f32[B, 50, 8]' });
  const tensorParams = cell.params.filter((p) => p.type.kind === 'TensorType');
  if (tensorParams.length < 2) lw.fail('DNN0017', cellArg.span, { message: `the cell of scan takes (x_t, state): block '${cell.name.name}' has ${tensorParams.length} tensor parameter(s)` });
  let h = (bound.get('init') as Extract<LVal, { kind: 'tensor' }>).v;
  const reverse = bound.get('reverse')?.kind === 'bool' && (bound.get('reverse') as Extract<LVal, { kind: 'bool' }>).value;
  const parent = lw.scopes[lw.scopes.length - 1];
  const n = (parent.counters.get('scan') ?? 0) + 1;
  parent.counters.set('scan', n);
  const path = `${parent.path}.scan_${n}.${cell.name.name}`;
  const saved = lw.sharedParams;
  lw.sharedParams = true; // every step uses the same weights
  const states: Value[] = new Array(T);
  try {
    for (let k = 0; k < T; k++) {
      const t = reverse ? T - 1 - k : k;
      const sl = lw.op('slice', [x], { axes: [axis], starts: [t], ends: [t + 1], steps: [1] }, span);
      const xt = lw.op('reshape', [sl], { shape: x.type.shape.filter((_, i) => i !== axis) }, span);
      const args = new Map<string, LVal>([
        [tensorParams[0].name.name, { kind: 'tensor', v: xt, span }],
        [tensorParams[1].name.name, { kind: 'tensor', v: h, span }],
      ]);
      const out = enterBlock(lw, cell, args, span, path);
      if (out.kind !== 'tensor') return lw.fail('DNN0017', span, { message: `the cell of scan must return the new state (a tensor), got ${describe(out)}` });
      if (!dimEqShape(out.v.type.shape, h.type.shape))
        lw.fail('DNN0007', span, { message: `the cell of scan must return a state shaped like init ${shapeToString(h.type.shape)}, got ${shapeToString(out.v.type.shape)}` });
      h = out.v;
      states[t] = h;
    }
  } finally {
    lw.sharedParams = saved;
  }
  const withAxis = states.map((st) => lw.op('reshape', [st], { shape: [...st.type.shape.slice(0, axis), 1, ...st.type.shape.slice(axis)] }, span));
  return { kind: 'tensor', v: withAxis.length === 1 ? withAxis[0] : lw.op('concat', withAxis, { axis }, span), span };
}

/** Bind the dims named in a block parameter's type to the argument's dims, checking the rest. */
export function unify(lw: LowerContext, t: A.TensorType, v: Value, benv: Env, p: A.BlockParam, callSpan: Span): void {
  const got = v.type;
  const mismatch = (): never =>
    lw.fail('DNN0007', callSpan, {
      message: `block parameter '${p.name.name}' expects ${t.dtype}[${t.dims.map((d) => exprText(d)).join(', ')}] but the argument is ${got.dtype}${shapeToString(got.shape)}`,
    });
  if (t.dtype !== got.dtype || t.dims.length !== got.shape.length) mismatch();
  t.dims.forEach((d, i) => {
    if (d.kind === 'Name' && !benv.hasOwn(d.name) && !(lw.globals.lookup(d.name) && lw.globals.lookup(d.name) !== 'poisoned')) {
      const dim = got.shape[i];
      benv.set(d.name, typeof dim === 'number' ? { kind: 'num', value: dim, isInt: true, span: d.span } : { kind: 'dim', dim, span: d.span }, d.span);
      return;
    }
    const want = lw.dimExpr(d, benv, 'check');
    if (!dimEq(want, got.shape[i])) mismatch();
  });
}


function dimEqShape(a: readonly Dim[], b: readonly Dim[]): boolean {
  return a.length === b.length && a.every((d, i) => dimEq(d, b[i]));
}

/** A dim expression as written, for messages; past a few levels of nesting it is elided. */
export function exprText(e: A.Expr, depth = 0): string {
  if (depth > 8) return '…';
  switch (e.kind) {
    case 'Name':
      return e.name;
    case 'Number':
      return String(e.value);
    case 'Binary':
      return `${exprText(e.left, depth + 1)} ${e.op} ${exprText(e.right, depth + 1)}`;
    default:
      return '…';
  }
}
