/**
 * Argument binding: a call's arguments against declared parameters
 * (positional first, then named), with the diagnostics for unknown, missing,
 * repeated and extra arguments, and each value coerced to its parameter's type.
 */
import type * as A from '../../grammar/ast.js';
import type { Span } from '../../grammar/span.js';
import { didYouMean } from '../diagnostics.js';
import type { Value } from '../ir.js';
import type { ParamType } from './builtin.js';
import type { Env } from './env.js';
import { scalarLike } from './expressions.js';
import type { LowerContext } from './context.js';
import { dimHelp } from './operators.js';
import { asDim, describe, type LVal } from './values.js';

/** Bind call arguments to declared parameters: positional first, then named. */
export function bindArgs(
  lw: LowerContext,
  callee: string,
  params: { name: string; type: ParamType; optional: boolean; span?: Span }[],
  args: A.Arg[],
  piped: LVal | undefined,
  env: Env,
  span: Span,
  variadic: boolean,
): { bound: Map<string, LVal>; rest: LVal[] } {
  const bound = new Map<string, LVal>();
  const rest: LVal[] = [];
  const positional: LVal[] = piped ? [piped] : [];
  const named: [A.Name, LVal][] = [];
  for (const a of args) {
    const v = lw.expr(a.value, env, true);
    if (a.name) named.push([a.name, v]);
    else {
      if (named.length) lw.fail('DNN0017', a.span, { message: `positional arguments must come before named ones in '${callee}'` });
      positional.push(v);
    }
  }
  positional.forEach((v, i) => {
    if (i < params.length) bound.set(params[i].name, v);
    else if (variadic) rest.push(v);
    else lw.fail('DNN0021', v.span, { callee, max: params.length - (piped ? 1 : 0), got: positional.length - (piped ? 1 : 0) });
  });
  for (const [n, v] of named) {
    const p = params.find((q) => q.name === n.name);
    if (!p) lw.fail('DNN0005', n.span, { callee, name: n.name, hint: didYouMean(n.name, params.map((q) => q.name)) });
    if (bound.has(n.name)) lw.fail('DNN0016', n.span, { name: `argument ${n.name}` });
    bound.set(n.name, v);
  }
  // a number given for a tensor parameter takes the dtype of the call's other tensors (minimum(tokens, 1) on i32 tokens)
  const context = params.map((p) => bound.get(p.name)).find((v) => v?.kind === 'tensor' && v.v.type.dtype !== 'bool');
  const like = context?.kind === 'tensor' ? context.v : undefined;
  for (const p of params) {
    const v = bound.get(p.name);
    if (!v) {
      if (!p.optional) lw.fail('DNN0006', span, { callee, name: p.name });
      continue;
    }
    bound.set(p.name, coerce(lw, callee, p.name, p.type, v, like));
  }
  return { bound, rest };
}

export function coerce(lw: LowerContext, callee: string, pname: string, type: ParamType, v: LVal, like?: Value): LVal {
  const bad = (what: string): never => lw.fail('DNN0017', v.span, { message: `'${callee}': argument '${pname}' must be ${what}, got ${describe(v)}` });
  switch (type) {
    case 'any':
      return v;
    case 'tensor':
      if (v.kind === 'tensor') return v;
      if (v.kind === 'num') return { kind: 'tensor', v: scalarLike(lw, v.value, like, v.span), span: v.span };
      if (v.kind === 'sym') lw.fail('DNN0003', v.span, { name: v.name, hint: '' });
      if (v.kind === 'dim') lw.fail('DNN0051', v.span, { message: `'${callee}': argument '${pname}' must be a tensor, got ${describe(v)}` }, dimHelp(v));
      return bad('a tensor');
    case 'int':
      if (v.kind === 'num' && Number.isInteger(v.value)) return v;
      return bad('an integer');
    case 'num':
      if (v.kind === 'num') return v;
      return bad('a number');
    case 'dim':
      if (asDim(v) !== undefined) return v;
      return bad('a dimension');
    case 'bool':
      if (v.kind === 'bool') return v;
      return bad('true or false');
    case 'sym':
      if (v.kind === 'sym') return v;
      if (v.kind === 'str') return { kind: 'sym', name: v.value, span: v.span };
      return bad('a name');
    case 'str':
      if (v.kind === 'str') return v;
      if (v.kind === 'sym') return { kind: 'str', value: v.name, span: v.span };
      return bad('a string');
    case 'list':
      if (v.kind === 'list') return v;
      return bad('a list [...]');
  }
}
