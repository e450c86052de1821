/**
 * Cross-model inlining: `Generator(z)` inside a train step lowers the
 * model's body in place, its inputs bound to the arguments (their declared
 * types checked, symbolic dims taken from the arguments) and its weights
 * shared by path with every other call of the same model.
 */
import type * as A from '../../grammar/ast.js';
import type { Span } from '../../grammar/span.js';
import { dimEq, shapeToString } from '../dims.js';
import type { Value } from '../ir.js';
import { bindArgs } from './arguments.js';
import { exprText } from './blocks.js';
import type { ParamType } from './builtin.js';
import { Env } from './env.js';
import { SilentAbort } from './abort.js';
import type { LowerContext } from './context.js';
import type { LVal } from './values.js';

/** `Generator(z)` inside a train step: the model's body inlined with its inputs bound, its weights shared by path. */
export function callModel(lw: LowerContext, model: A.ModelDecl, args: A.Arg[], piped: LVal | undefined, env: Env, span: Span): LVal {
  const name = model.name.name;
  if (lw.callStack.some((f) => f.block === name)) lw.fail('DNN0012', span, { name, chain: [...lw.callStack.map((f) => f.block), name].join(' -> ') });
  const inputs = model.body.filter((st): st is A.InputDecl => st.kind === 'Input');
  const outputs = model.body.filter((st): st is A.OutputDecl => st.kind === 'Output');
  if (outputs.length !== 1)
    lw.fail('DNN0015', span, { what: `calling model '${name}', which has ${outputs.length} outputs,`, hint: ' (a model called as a function must have one output)' });
  const params = inputs.map((i) => ({ name: i.name.name, type: 'tensor' as ParamType, optional: false }));
  const { bound } = bindArgs(lw, name, params, args, piped, env, span, false);
  const saved = { scopes: lw.scopes, inputBindings: lw.inputBindings, sharedParams: lw.sharedParams, scope: lw.b.scope };
  lw.scopes = [{ path: name, counters: new Map() }];
  lw.inputBindings = new Map();
  lw.sharedParams = true;
  lw.callStack.push({ block: name, span });
  try {
    const menv = new Env(lw.globals);
    for (const i of inputs) {
      const v = bound.get(i.name.name);
      if (v?.kind !== 'tensor') continue;
      checkModelInput(lw, i, v.v, menv, span, name);
      lw.inputBindings.set(i.name.name, v.v);
    }
    lw.body(model.body, menv, 'model', { onOutput: () => undefined });
    const found = menv.lookup(outputs[0].name.name);
    if (found === 'poisoned' || !found) throw new SilentAbort();
    return { ...found.value, span } as LVal;
  } finally {
    lw.callStack.pop();
    lw.scopes = saved.scopes;
    lw.inputBindings = saved.inputBindings;
    lw.sharedParams = saved.sharedParams;
    lw.b.scope = saved.scope;
  }
}

/** A model input's declared type against the argument of a model call; the model's symbolic dims bind to the argument's. */
export function checkModelInput(lw: LowerContext, decl: A.InputDecl, v: Value, menv: Env, span: Span, model: string): void {
  const t = decl.type;
  const bad = (): never =>
    lw.fail('DNN0007', span, {
      message: `model '${model}' takes ${decl.name.name}: ${t.dtype}[${t.dims.map((d) => exprText(d)).join(', ')}], but the argument is ${v.type.dtype}${shapeToString(v.type.shape)}`,
    });
  if (t.dtype !== v.type.dtype || t.dims.length !== v.type.shape.length) bad();
  t.dims.forEach((d, i) => {
    const got = v.type.shape[i];
    if (d.kind === 'Name' && lw.globals.lookup(d.name) === undefined && !menv.hasOwn(d.name)) {
      // a symbolic dim of the model (B, T) takes whatever the caller has
      menv.set(d.name, typeof got === 'number' ? { kind: 'num', value: got, isInt: true, span: d.span } : { kind: 'dim', dim: got, span: d.span }, d.span);
      return;
    }
    if (!dimEq(lw.dimExpr(d, menv, 'check'), got)) bad();
  });
}
