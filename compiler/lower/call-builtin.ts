/**
 * Built-in dispatch: binds a built-in's arguments and calls it with a
 * CallContext, its window on the lowering (ops, parameters, state, layer
 * paths, run-time limits), recording the layers it creates.
 */
import type * as A from '../../grammar/ast.js';
import type { Span } from '../../grammar/span.js';
import type { LayerArg } from '../compiled.js';
import { didYouMean } from '../diagnostics.js';
import { aliasHint } from '../suggest.js';
import { bindArgs } from './arguments.js';
import type { BuiltinImpl, BuiltinParam, CallArgs, CallContext } from './builtin.js';
import type { Env } from './env.js';
import { fieldFeeding } from './label-source.js';
import type { LowerContext } from './context.js';
import { layerPath, param } from './naming.js';
import type { LVal } from './values.js';

/** The literal arguments of a call (numbers, names, flags, lists of numbers), for its LayerRecord. */
function literalArgs(bound: Map<string, LVal>): Record<string, LayerArg> {
  const out: Record<string, LayerArg> = {};
  for (const [name, v] of bound) {
    if (name === 'name') continue;
    if (v.kind === 'num' || v.kind === 'bool' || v.kind === 'str') out[name] = v.value;
    else if (v.kind === 'sym') out[name] = v.name;
    else if (v.kind === 'dim') out[name] = String(v.dim);
    else if (v.kind === 'list' && v.items.every((i) => i.kind === 'num')) out[name] = v.items.map((i) => (i as { value: number }).value);
  }
  return out;
}

export function callBuiltin(lw: LowerContext, builtin: BuiltinImpl, args: A.Arg[], piped: LVal | undefined, env: Env, span: Span): LVal {
  const params = builtin.params.map((p: BuiltinParam) => ({ name: p.name, type: p.type, optional: !!p.optional }));
  const { bound, rest } = bindArgs(lw, builtin.name, params, args, piped, env, span, !!builtin.variadic);
  const self = lw;
  const argSpan = (n: string) => bound.get(n)?.span ?? span;
  const callArgs: CallArgs = {
    get: (n) => bound.get(n),
    has: (n) => bound.has(n),
    tensor(n) {
      const v = bound.get(n);
      if (!v || v.kind !== 'tensor') return self.fail('DNN0006', span, { callee: builtin.name, name: n });
      return v.v;
    },
    optTensor: (n) => {
      const v = bound.get(n);
      return v?.kind === 'tensor' ? v.v : undefined;
    },
    int: (n, d) => {
      const v = bound.get(n);
      if (v?.kind === 'num') return v.value;
      if (d === undefined) return self.fail('DNN0006', span, { callee: builtin.name, name: n });
      return d;
    },
    num: (n, d) => {
      const v = bound.get(n);
      if (v?.kind === 'num') return v.value;
      if (d === undefined) return self.fail('DNN0006', span, { callee: builtin.name, name: n });
      return d;
    },
    bool: (n, d) => {
      const v = bound.get(n);
      if (v?.kind === 'bool') return v.value;
      return d ?? false;
    },
    sym: (n, allowed, d) => {
      const v = bound.get(n);
      if (!v) {
        if (d === undefined) return self.fail('DNN0006', span, { callee: builtin.name, name: n });
        return d;
      }
      const s = v.kind === 'sym' ? v.name : v.kind === 'str' ? v.value : '';
      if (n !== 'name' && !allowed.includes(s))
        return self.fail('DNN0022', v.span, { message: `'${builtin.name}': '${n}' must be one of ${allowed.join(', ')}; got '${s}'${aliasHint(s, (n) => allowed.includes(n)) || didYouMean(s, allowed)}` });
      return s;
    },
    str: (n, d) => {
      const v = bound.get(n);
      if (v?.kind === 'str') return v.value;
      if (v?.kind === 'sym') return v.name;
      return d;
    },
    span: argSpan,
    rest,
  };
  const explicitName = bound.get('name');
  let layerPathOf: string | undefined;
  const savedScope = lw.b.scope;
  lw.b.scope = lw.scopes[lw.scopes.length - 1].path;
  const cx: CallContext = {
    args: callArgs,
    span,
    callee: builtin.name,
    op: (name, inputs, attrs = {}) => self.op(name, inputs, attrs, span),
    checkOp: (name, inputs, attrs = {}) => self.checkOp(name, inputs, attrs, span),
    scalar: (value) => self.op('const', [], { value, dtype: 'f32', shape: [] }, span),
    fail: (code, a, extra = {}) => self.fail(code, extra.span ?? span, a, extra.help),
    layerPath: (layer) => {
      const path = layerPath(self, layer, explicitName?.kind === 'sym' ? explicitName.name : explicitName?.kind === 'str' ? explicitName.value : undefined);
      self.b.scope = path;
      layerPathOf = path;
      // a layer named again (shared weights) is one instance
      if (!self.layerRecords.some((r) => r.path === path)) self.layerRecords.push({ path, kind: builtin.name, args: literalArgs(bound) });
      return path;
    },
    param: (path, shape, init) => param(self, path, shape, init, explicitName !== undefined, span),
    staticDim: (v, axis, role) => self.staticDim(v, axis, role, span),
    mode: self.mode,
    sourceDir: self.sourceDir,
    state: (path, shape, init) => {
      const existing = self.b.graph.nodes.find((n) => n.op === 'state' && n.attrs.path === path);
      if (existing) return existing.outputs[0];
      self.stateSpecs.push({ path, dtype: 'f32', shape, init });
      const v = self.b.state(path, 'f32', shape, init);
      v.name = path;
      return v;
    },
    update: (path, value) => {
      if (self.mode === 'train') self.b.graph.updates.push({ path, value });
    },
    hyper: (name) => self.b.hyper(name),
    limitInput: (v, below, what, kind) => {
      if (v.node.op !== 'input') return; // computed ids are checked by the kernels that read them
      const name = String(v.node.attrs.name);
      const ranges = self.b.graph.ranges;
      const prev = ranges.find((r) => r.input === name);
      const range = { input: name, below, what, ...(kind ? { kind } : {}) };
      if (!prev) ranges.push(range);
      else if (below < prev.below) Object.assign(prev, range);
    },
    dataFeeding: (v) => (self.dataFields && self.dataSpec ? fieldFeeding(v, self.b.graph, self.dataFields, self.dataSpec) : undefined),
    limitDim: (dim, max, what) => {
      const limits = self.b.graph.limits;
      const prev = limits.find((l) => l.dim === dim);
      if (!prev) limits.push({ dim, max, what });
      else if (max < prev.max) Object.assign(prev, { max, what });
    },
  };
  try {
    const result = builtin.apply(cx);
    if (builtin.kind === 'layer' && result.kind === 'tensor') {
      const { dtype, shape } = result.v.type;
      lw.layerCalls.push({ kind: builtin.name, ...(layerPathOf ? { path: layerPathOf } : {}), dtype, shape, line: span.line });
    }
    return result;
  } finally {
    lw.b.scope = savedScope;
  }
}
