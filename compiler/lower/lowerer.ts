/**
 * Lowering: AST -> graph IR. Walks a model body statement by statement,
 * evaluating expressions to tensors (IR values built through the registry)
 * or compile-time values, expanding blocks, `repeat` and layers into
 * primitive ops. A failed statement records a diagnostic and poisons the
 * name it defines, so independent mistakes are all reported in one run.
 */
import type * as A from '../../grammar/ast.js';
import type { Span } from '../../grammar/span.js';
import { GraphBuilder } from '../builder.js';
import type { LayerArg, LayerRecord, TensorSpec } from '../compiled.js';
import { CompileAbort, DiagnosticBag, didYouMean, type DiagnosticCode, type DiagnosticNote } from '../diagnostics.js';
import { alwaysNegative, dimAdd, dimDiv, dimEq, dimMul, dimSub, isStaticDim, shapeToString, type Dim } from '../dims.js';
import { Graph, type DType, type InitSpec, type Value } from '../ir.js';
import { ShapeError } from '../ops/types.js';
import type { BuiltinImpl, BuiltinParam, CallArgs, CallContext, ParamType } from './builtin.js';
import { builtins } from './builtins/index.js';
import { Env } from './env.js';
import { formatLimit, MAX_DIM, MAX_DIM_EXPRESSION_LENGTH, MAX_OPERATIONS, MAX_NESTING, MAX_PARAM_ELEMENTS, MAX_TENSOR_ELEMENTS, MAX_UNROLL, staticElements } from '../limits.js';
import { asDim, describe, type LVal } from './values.js';

/** The most inputs one concat kernel reads (plus its output: 8 arrays, WebGPU's guaranteed minimum). */
const CONCAT_FAN_IN = 7;

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

/** Unwinds a statement whose failure was already reported (or follows from one that was). */
export class SilentAbort extends Error {}

interface Frame {
  block: string;
  span: Span;
}

interface ScopeFrame {
  path: string;
  counters: Map<string, number>;
}

export interface LoweredModel {
  graph: Graph;
  env: Env;
  inputs: { name: string; value: Value; decl: A.InputDecl }[];
  outputs: { name: string; value: Value; decl: A.OutputDecl }[];
  params: TensorSpec[];
  state: TensorSpec[];
  layers: LayerRecord[];
}

export class Lowerer {
  readonly blocks = new Map<string, A.BlockDecl>();
  readonly models = new Map<string, A.ModelDecl>();
  readonly globals = new Env();
  b!: GraphBuilder;
  private callStack: Frame[] = [];
  private scopes: ScopeFrame[] = [];
  private paramValues = new Map<string, { value: Value; shape: number[]; explicit: boolean }>();
  private paramSpecs: TensorSpec[] = [];
  /** the elements of paramSpecs together (MAX_PARAM_ELEMENTS) */
  private paramElements = 0;
  private stateSpecs: TensorSpec[] = [];
  private layerRecords: LayerRecord[] = [];
  /** what the current graph is for: layers like dropout and batchnorm behave differently when training */
  mode: 'predict' | 'train' | 'evaluate' = 'predict';
  /** symbolic dims introduced by input types, by name */
  private symDims = new Set<string>();
  private usedOverrides = new Set<string>();
  /** operations in the graphs of this file finished so far (MAX_OPERATIONS counts them all); compile.ts keeps it */
  operationsSpent = 0;
  /** levels of expression nesting being evaluated (see expr) */
  private depth = 0;

  constructor(
    readonly program: A.Program,
    readonly diag: DiagnosticBag,
    readonly overrides: Record<string, number> = {},
    /** after syntax errors, statements may be missing: skip checks that would only cascade */
    readonly incomplete = false,
    /** the folder of the .dnn file, for data files named in train blocks */
    readonly sourceDir?: string,
  ) {
    for (const item of program.items) {
      if (item.kind === 'Block' || item.kind === 'Model') {
        const table: Map<string, A.BlockDecl | A.ModelDecl> = item.kind === 'Block' ? this.blocks : this.models;
        const other = item.kind === 'Block' ? this.models : this.blocks;
        const prev = table.get(item.name.name) ?? other.get(item.name.name);
        if (prev) {
          this.diag.error('DNN0016', item.name.span, { name: item.name.name }, { notes: [{ message: 'first defined here', span: prev.name.span }] });
          continue;
        }
        table.set(item.name.name, item as never);
      }
    }
    for (const item of program.items)
      if (item.kind === 'Param' || item.kind === 'Const') this.statement(item, this.globals, 'global');
  }

  /** Make a symbolic dim known (train steps know the batch dim B before any input declares it). */
  declareDim(name: string): void {
    this.symDims.add(name);
  }

  /** Overrides given for params that the program never declares. */
  unusedOverrides(): string[] {
    return Object.keys(this.overrides).filter((k) => !this.usedOverrides.has(k));
  }

  // ------------------------------------------------------------ diagnostics

  private notes(): DiagnosticNote[] {
    return [...this.callStack].reverse().map((f) => ({ message: `in block '${f.block}' called here`, span: f.span }));
  }

  fail(code: DiagnosticCode, span: Span, args: Record<string, string | number>, help?: string): never {
    const d = this.diag.error(code, span, args, { notes: this.notes(), help });
    throw new CompileAbort(d);
  }

  // ----------------------------------------------------------------- models

  /** Lower a model's body into `graph` (a fresh one for predict, or a train step graph). */
  lowerModel(model: A.ModelDecl, graph: Graph, mode: Lowerer['mode'] = 'predict', asName = model.name.name): LoweredModel {
    this.beginGraph(graph, mode, asName);
    const env = new Env(this.globals);
    const inputs: LoweredModel['inputs'] = [];
    const declaredOutputs: A.OutputDecl[] = [];
    this.body(model.body, env, 'model', {
      onInput: (decl, value) => inputs.push({ name: decl.name.name, value, decl }),
      onOutput: (decl) => declaredOutputs.push(decl),
    });
    const outputs: LoweredModel['outputs'] = [];
    for (const decl of declaredOutputs) {
      const found = env.lookup(decl.name.name);
      if (found === 'poisoned') continue;
      if (!found) {
        if (this.incomplete) continue;
        this.diag.error('DNN0009', decl.name.span, { name: decl.name.name, model: model.name.name }, { help: `assign it in the model body: ${decl.name.name} = ...` });
        continue;
      }
      if (found.value.kind !== 'tensor') {
        this.diag.error('DNN0017', found.span, { message: `output '${decl.name.name}' must be a tensor, but it is ${describe(found.value)}` });
        continue;
      }
      const v = found.value.v;
      try {
        const want = this.tensorType(decl.type, env, 'check');
        const same = want.dtype === v.type.dtype && want.shape.length === v.type.shape.length && want.shape.every((d, i) => dimEq(d, v.type.shape[i]));
        if (!same)
          this.diag.error(
            'DNN0010',
            found.span,
            { name: decl.name.name, declared: `${want.dtype}${shapeToString(want.shape)}`, actual: `${v.type.dtype}${shapeToString(v.type.shape)}` },
            { notes: [{ message: 'declared here', span: decl.type.span }] },
          );
        else outputs.push({ name: decl.name.name, value: v, decl });
      } catch (e) {
        if (!(e instanceof CompileAbort || e instanceof SilentAbort)) throw e;
      }
    }
    return { graph, env, inputs, outputs, params: this.paramSpecs, state: this.stateSpecs, layers: this.layerRecords };
  }

  /** Start lowering into a fresh graph (a model's entry, or a step of a train block). */
  beginGraph(graph: Graph, mode: Lowerer['mode'], rootScope: string): void {
    this.b = new GraphBuilder(graph);
    this.mode = mode;
    this.paramValues = new Map();
    this.paramSpecs = [];
    this.paramElements = 0;
    this.stateSpecs = [];
    this.layerRecords = [];
    this.scopes = [{ path: rootScope, counters: new Map() }];
    this.callStack = [];
    this.inputBindings = undefined;
    this.sharedParams = false;
  }

  /** In a model call: the model's inputs are bound to these values instead of becoming graph inputs. */
  private inputBindings: Map<string, Value> | undefined;
  /** In a model call: parameters of the same path are the same weights (a model called twice in a step). */
  private sharedParams = false;
  /** A train step's data set: `data.image` becomes the graph input `image` of the field's shape. */
  dataFields: Map<string, { dtype: DType; shape: Dim[] }> | undefined;

  /** `Generator(z)` inside a train step: the model's body inlined with its inputs bound, its weights shared by path. */
  callModel(model: A.ModelDecl, args: A.Arg[], piped: LVal | undefined, env: Env, span: Span): LVal {
    const name = model.name.name;
    if (this.callStack.some((f) => f.block === name)) this.fail('DNN0012', span, { name, chain: [...this.callStack.map((f) => f.block), name].join(' -> ') });
    const inputs = model.body.filter((st): st is A.InputDecl => st.kind === 'Input');
    const outputs = model.body.filter((st): st is A.OutputDecl => st.kind === 'Output');
    if (outputs.length !== 1)
      this.fail('DNN0015', span, { what: `calling model '${name}', which has ${outputs.length} outputs,`, hint: ' (a model called as a function must have one output)' });
    const params = inputs.map((i) => ({ name: i.name.name, type: 'tensor' as ParamType, optional: false }));
    const { bound } = this.bindArgs(name, params, args, piped, env, span, false);
    const saved = { scopes: this.scopes, inputBindings: this.inputBindings, sharedParams: this.sharedParams, scope: this.b.scope };
    this.scopes = [{ path: name, counters: new Map() }];
    this.inputBindings = new Map();
    this.sharedParams = true;
    this.callStack.push({ block: name, span });
    try {
      const menv = new Env(this.globals);
      for (const i of inputs) {
        const v = bound.get(i.name.name);
        if (v?.kind !== 'tensor') continue;
        this.checkModelInput(i, v.v, menv, span, name);
        this.inputBindings.set(i.name.name, v.v);
      }
      this.body(model.body, menv, 'model', { onOutput: () => undefined });
      const found = menv.lookup(outputs[0].name.name);
      if (found === 'poisoned' || !found) throw new SilentAbort();
      return { ...found.value, span } as LVal;
    } finally {
      this.callStack.pop();
      this.scopes = saved.scopes;
      this.inputBindings = saved.inputBindings;
      this.sharedParams = saved.sharedParams;
      this.b.scope = saved.scope;
    }
  }

  /** A model input's declared type against the argument of a model call; the model's symbolic dims bind to the argument's. */
  private checkModelInput(decl: A.InputDecl, v: Value, menv: Env, span: Span, model: string): void {
    const t = decl.type;
    const bad = (): never =>
      this.fail('DNN0007', span, {
        message: `model '${model}' takes ${decl.name.name}: ${t.dtype}[${t.dims.map((d) => exprText(d)).join(', ')}], but the argument is ${v.type.dtype}${shapeToString(v.type.shape)}`,
      });
    if (t.dtype !== v.type.dtype || t.dims.length !== v.type.shape.length) bad();
    t.dims.forEach((d, i) => {
      const got = v.type.shape[i];
      if (d.kind === 'Name' && this.globals.lookup(d.name) === undefined && !menv.hasOwn(d.name)) {
        // a symbolic dim of the model (B, T) takes whatever the caller has
        menv.set(d.name, typeof got === 'number' ? { kind: 'num', value: got, isInt: true, span: d.span } : { kind: 'dim', dim: got, span: d.span }, d.span);
        return;
      }
      if (!dimEq(this.dimExpr(d, menv, 'check'), got)) bad();
    });
  }

  // ------------------------------------------------------------- statements

  body(
    stmts: A.Stmt[],
    env: Env,
    where: 'model' | 'block' | 'train' | 'global' | 'repeat',
    hooks: {
      onInput?: (decl: A.InputDecl, v: Value) => void;
      onOutput?: (decl: A.OutputDecl) => void;
      onReturn?: (v: LVal, stmt: A.Return) => void;
      onOther?: (stmt: A.Stmt) => boolean;
    } = {},
  ): void {
    for (const s of stmts) this.statement(s, env, where, hooks);
  }

  private statement(s: A.Stmt | A.Item, env: Env, where: string, hooks: Parameters<Lowerer['body']>[3] = {}): void {
    const defined = s.kind === 'Binding' || s.kind === 'Input' || s.kind === 'TrainInput' ? s.kind === 'Binding' ? s.target.name : s.name.name : undefined;
    try {
      this.b && (this.b.span = s.span);
      switch (s.kind) {
        case 'Input': {
          if (where !== 'model') this.fail('DNN0022', s.span, { message: `'input' declarations belong in a model, not in a ${where}` });
          const given = this.inputBindings?.get(s.name.name);
          if (given) {
            env.set(s.name.name, { kind: 'tensor', v: given, span: s.name.span }, s.name.span);
            return;
          }
          const t = this.tensorType(s.type, env, 'introduce');
          this.checkNew(s.name, env);
          const v = this.b.input(s.name.name, t.dtype, t.shape, 'data');
          v.name = s.name.name;
          env.set(s.name.name, { kind: 'tensor', v, span: s.name.span }, s.name.span);
          hooks.onInput?.(s, v);
          return;
        }
        case 'Output':
          if (where !== 'model') this.fail('DNN0022', s.span, { message: `'output' declarations belong in a model, not in a ${where}` });
          hooks.onOutput?.(s);
          return;
        case 'Param':
        case 'Const':
          for (const entry of s.entries) {
            try {
              let value = this.expr(entry.value, env);
              if (s.kind === 'Param' && entry.name.name in this.overrides) {
                const o = this.overrides[entry.name.name];
                this.usedOverrides.add(entry.name.name);
                value = { kind: 'num', value: o, isInt: Number.isInteger(o), span: entry.value.span };
              }
              if (value.kind === 'tensor') this.fail('DNN0017', entry.value.span, { message: `${s.kind === 'Param' ? 'param' : 'const'} '${entry.name.name}' must be a compile-time value, not ${describe(value)}` });
              this.checkNew(entry.name, env);
              env.set(entry.name.name, value, entry.name.span);
            } catch (e) {
              this.recover(e, env, entry.name.name);
            }
          }
          return;
        case 'Binding': {
          if (hooks.onOther?.(s)) return;
          if (s.on) this.fail('DNN0022', s.on[0].span, { message: `'on' only applies to an optimizer in a train block` });
          const v = this.expr(s.value, env);
          env.set(s.target.name, v, s.target.span);
          if (v.kind === 'tensor' && !v.v.name) v.v.name = s.target.name;
          return;
        }
        case 'Repeat':
          this.repeat(s, env, where, hooks);
          return;
        case 'Return':
          if (!hooks.onReturn) this.fail('DNN0022', s.span, { message: `'return' is only allowed in a block` });
          hooks.onReturn(this.expr(s.value, env), s);
          return;
        case 'TrainInput':
        case 'Step':
        case 'Sync':
          if (hooks.onOther?.(s)) return;
          this.fail('DNN0022', s.span, { message: `'${s.kind === 'TrainInput' ? `${s.name.name}: ${s.type.dtype}[...]` : s.kind.toLowerCase()}' belongs in a train block` });
          return;
        default:
          return;
      }
    } catch (e) {
      this.recover(e, env, defined);
    }
  }

  private recover(e: unknown, env: Env, defined: string | undefined): void {
    if (e instanceof CompileAbort || e instanceof SilentAbort) {
      if (defined) env.poison(defined);
      return;
    }
    throw e;
  }

  private checkNew(name: A.Name, env: Env): void {
    if (env.hasOwn(name.name) && env.lookup(name.name) !== 'poisoned') {
      const prev = env.lookup(name.name);
      this.fail('DNN0016', name.span, { name: name.name }, undefined);
      void prev;
    }
  }

  private repeat(s: A.Repeat, env: Env, where: string, hooks: Parameters<Lowerer['body']>[3]): void {
    const count = this.expr(s.count, env);
    if (count.kind !== 'num' || !Number.isInteger(count.value) || count.value < 0)
      this.fail('DNN0017', s.count.span, { message: `repeat needs a non-negative integer count, got ${describe(count)}` });
    if (count.value > MAX_UNROLL) this.fail('DNN0033', s.count.span, { message: `repeat ${count.value} is above the limit of ${MAX_UNROLL.toLocaleString('en-US')} iterations` });
    const label = s.as?.name ?? 'layers';
    const parent = this.scopes[this.scopes.length - 1];
    for (let i = 0; i < count.value; i++) {
      this.scopes.push({ path: `${parent.path}.${label}.${i}`, counters: new Map() });
      try {
        // bindings inside the body update the enclosing environment (h = Layer(h))
        for (const st of s.body) this.statement(st, env, where === 'block' ? 'block' : 'model', hooks);
      } finally {
        this.scopes.pop();
      }
    }
  }

  // ------------------------------------------------------------------ types

  /**
   * Evaluate a tensor type. `introduce`: unknown dim names become symbolic
   * dims (model inputs: B, T). `check`: every name must resolve.
   */
  tensorType(t: A.TensorType, env: Env, mode: 'introduce' | 'check'): { dtype: DType; shape: Dim[] } {
    if (t.dtype === 'f16') this.fail('DNN0015', t.span, { what: 'the f16 dtype', hint: ' (use f32)' });
    const shape = t.dims.map((d) => this.dimExpr(d, env, mode));
    this.checkShape(shape, t.span, `the type ${t.dtype}${shapeToString(shape)}`);
    return { dtype: t.dtype, shape };
  }

  private dimExpr(e: A.Expr, env: Env, mode: 'introduce' | 'check'): Dim {
    if (e.kind === 'Name') {
      const found = env.lookup(e.name);
      if (found === 'poisoned') throw new SilentAbort();
      if (found) {
        const d = asDim(found.value);
        if (d === undefined) this.fail('DNN0017', e.span, { message: `'${e.name}' is ${describe(found.value)}, not a dimension` });
        return d;
      }
      if (this.symDims.has(e.name) || mode === 'introduce') {
        this.symDims.add(e.name);
        return e.name;
      }
      this.fail('DNN0011', e.span, { dim: e.name, hint: didYouMean(e.name, [...env.names(), ...this.symDims]) });
    }
    const v = this.expr(e, env);
    const d = asDim(v);
    if (d === undefined || (typeof d === 'number' && d < 0)) this.fail('DNN0017', e.span, { message: `a dimension must be a non-negative integer or a symbolic dim, got ${describe(v)}` });
    return d;
  }

  // ------------------------------------------------------------ expressions

  /**
   * Evaluate an expression. Nesting costs one level of a budget of
   * MAX_NESTING (the lowering recursion must never reach the JS stack limit);
   * chains (`a + b + ...`, `x |> f |> ...`, `x[0][1]...`) are walked in a
   * loop and cost one level whatever their length.
   */
  expr(e: A.Expr, env: Env, argPosition = false): LVal {
    if (this.depth >= MAX_NESTING)
      this.fail('DNN0032', e.span, { what: 'expression', max: MAX_NESTING }, 'name the inner parts: t = ...; then use t');
    this.depth++;
    try {
      return this.exprAt(e, env, argPosition);
    } finally {
      this.depth--;
    }
  }

  private exprAt(e: A.Expr, env: Env, argPosition: boolean): LVal {
    if (this.b) this.b.span = e.span;
    switch (e.kind) {
      case 'Number':
        return { kind: 'num', value: e.value, isInt: e.isInt, span: e.span };
      case 'String':
        return { kind: 'str', value: e.value, span: e.span };
      case 'Bool':
        return { kind: 'bool', value: e.value, span: e.span };
      case 'List':
        return { kind: 'list', items: e.items.map((i) => this.expr(i, env, argPosition)), span: e.span };
      case 'Name':
        return this.name(e, env, argPosition);
      case 'Call':
        return this.call(e.callee, e.args, undefined, env, e.span);
      case 'Pipe': {
        const chain: A.Pipe[] = [];
        let inner: A.Expr = e;
        for (; inner.kind === 'Pipe'; inner = inner.input) chain.push(inner);
        let value = this.expr(inner, env);
        // the call's own span: errors and generated nodes point at `dense(10)`, not the whole chain
        for (let i = chain.length - 1; i >= 0; i--) value = this.call(chain[i].target.callee, chain[i].target.args, value, env, chain[i].target.span);
        return value;
      }
      case 'Unary': {
        const v = this.expr(e.operand, env);
        if (e.op === '+') return v;
        if (v.kind === 'num') return { ...v, value: -v.value, span: e.span };
        if (v.kind === 'dim') return { kind: 'dim', dim: dimMul(v.dim, -1), span: e.span };
        if (v.kind === 'tensor') return { kind: 'tensor', v: this.op('neg', [v.v], {}, e.span), span: e.span };
        return this.fail('DNN0017', e.span, { message: `cannot negate ${describe(v)}` });
      }
      case 'Binary': {
        const chain: A.Binary[] = [];
        let inner: A.Expr = e;
        for (; inner.kind === 'Binary'; inner = inner.left) chain.push(inner);
        let value = this.expr(inner, env);
        for (let i = chain.length - 1; i >= 0; i--) value = this.binary(chain[i], value, this.expr(chain[i].right, env));
        return value;
      }
      case 'Index':
      case 'Member': {
        if (e.kind === 'Index' && this.isFill(e, env)) return this.fill(e, env);
        const chain: (A.Index | A.Member)[] = [];
        let inner: A.Expr = e;
        for (; (inner.kind === 'Index' && !this.isFill(inner, env)) || inner.kind === 'Member'; inner = inner.kind === 'Index' ? inner.target : inner.object) chain.push(inner);
        let value = this.expr(inner, env);
        for (let i = chain.length - 1; i >= 0; i--) {
          const link = chain[i];
          if (this.b) this.b.span = link.span;
          value = link.kind === 'Index' ? this.index(link, value, env) : this.member(link, value);
        }
        return value;
      }
    }
  }

  /** `data.image`: a field of the train step's data set. */
  private member(e: A.Member, obj: LVal): LVal {
    if (obj.kind !== 'data') return this.fail('DNN0017', e.span, { message: `only data sets have fields ('data.image'); this is ${describe(obj)}` });
    const fields = this.dataFields;
    const field = fields?.get(e.property.name);
    if (!fields || !field)
      return this.fail('DNN0003', e.property.span, {
        name: `${obj.spec.name}.${e.property.name}`,
        hint: fields ? `${didYouMean(e.property.name, fields.keys())} (fields: ${[...fields.keys()].join(', ')})` : ' (the fields of this data set are not known at compile time)',
      });
    const existing = this.b.graph.input(e.property.name);
    const v = existing ?? this.b.input(e.property.name, field.dtype, field.shape, 'train');
    v.name = e.property.name;
    return { kind: 'tensor', v, span: e.span };
  }

  private name(e: A.Name, env: Env, argPosition: boolean): LVal {
    const found = env.lookup(e.name);
    if (found === 'poisoned') throw new SilentAbort();
    if (found) return { ...found.value, span: e.span } as LVal;
    if (this.symDims.has(e.name)) return { kind: 'dim', dim: e.name, span: e.span };
    if (argPosition) return { kind: 'sym', name: e.name, span: e.span };
    if (builtins.has(e.name) || this.blocks.has(e.name))
      return this.fail('DNN0017', e.span, { message: `'${e.name}' is a function; call it (${e.name}(...)) or pipe into it (x |> ${e.name})` });
    return this.fail('DNN0003', e.span, { name: e.name, hint: didYouMean(e.name, [...env.names(), ...this.symDims]) });
  }

  /** Add a registry op at `span`; a shape rule failure becomes a located diagnostic. */
  op(name: string, inputs: Value[], attrs: Record<string, unknown>, span: Span): Value {
    // a kernel binds a bounded number of arrays (GPU storage-buffer limits): a wide concat becomes a tree
    if (name === 'concat' && inputs.length > CONCAT_FAN_IN) {
      const parts: Value[] = [];
      for (let i = 0; i < inputs.length; i += CONCAT_FAN_IN) parts.push(this.op('concat', inputs.slice(i, i + CONCAT_FAN_IN), attrs, span));
      return this.op('concat', parts, attrs, span);
    }
    // top-level param/const are lowered before any graph exists: they must be compile-time values
    if (!this.b) this.fail('DNN0017', span, { message: 'a top-level param or const must be a compile-time value (a number, a dim, a name), not a tensor' });
    this.b.span = span;
    if (this.operationsSpent + this.b.graph.nodes.length >= MAX_OPERATIONS)
      this.fail('DNN0033', span, { message: `the file grows past ${MAX_OPERATIONS.toLocaleString('en-US')} operations here` }, 'lower the repeat counts, the unrolled lengths (scan, lstm) or the number of layers');
    let out: Value;
    try {
      out = this.b.op(name, inputs, attrs as never);
    } catch (e) {
      if (e instanceof ShapeError) this.fail(e.code, span, { message: e.message }, e.help);
      throw e;
    }
    this.checkShape(out.type.shape, span, `the result of '${name}'`);
    return out;
  }

  /** A static shape against the limits of one tensor, before anything is allocated for it. */
  checkShape(shape: readonly Dim[], span: Span, what: string): void {
    for (const d of shape) {
      if (typeof d === 'number' && d > MAX_DIM) this.fail('DNN0033', span, { message: `${what} has the dimension ${d}, above the limit of ${formatLimit(MAX_DIM + 1)} - 1` });
      if (alwaysNegative(d)) this.fail('DNN0022', span, { message: `${what} has the dimension ${d}, which is negative for every positive value of its symbols` });
    }
    const n = staticElements(shape);
    if (n > MAX_TENSOR_ELEMENTS)
      this.fail('DNN0033', span, { message: `${what} would have ${n.toLocaleString('en-US')} elements ${shapeToString(shape)}, above the limit of ${formatLimit(MAX_TENSOR_ELEMENTS)} per tensor` });
  }

  /** A scalar constant of the tensor's dtype. */
  private scalarLike(n: number, like: Value | undefined, span: Span): Value {
    const dtype: DType = like?.type.dtype === 'i32' ? 'i32' : 'f32';
    return this.op('const', [], { value: n, dtype, shape: [] }, span);
  }

  /** `l op r` for the evaluated operands of `e`. */
  private binary(e: A.Binary, l: LVal, r: LVal): LVal {
    if (l.kind === 'num' && r.kind === 'num') {
      const isInt = l.isInt && r.isInt;
      switch (e.op) {
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
          return this.fail('DNN0017', e.opSpan, { message: `'@' multiplies tensors, not numbers` });
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
      if (d === undefined) return this.fail('DNN0011', e.span, { dim: `${ld} ${e.op} ${rd}`, hint: ' (dims support +, - and * and exact division)' });
      if (typeof d === 'string' && d.length > MAX_DIM_EXPRESSION_LENGTH)
        return this.fail('DNN0033', e.span, { message: `this dim grows to ${d.length.toLocaleString('en-US')} characters, above the limit of ${MAX_DIM_EXPRESSION_LENGTH} for a symbolic dim` });
      return typeof d === 'number' ? { kind: 'num', value: d, isInt: true, span: e.span } : { kind: 'dim', dim: d, span: e.span };
    }
    if (l.kind !== 'tensor' && r.kind !== 'tensor') return this.fail('DNN0017', e.opSpan, { message: `cannot apply '${e.op}' to ${describe(l)} and ${describe(r)}` });
    const lt = l.kind === 'tensor' ? l.v : undefined;
    const rt = r.kind === 'tensor' ? r.v : undefined;
    const toTensor = (v: LVal, other: Value | undefined): Value => {
      if (v.kind === 'tensor') return v.v;
      if (v.kind === 'num') return this.scalarLike(v.value, other, v.span);
      return this.fail('DNN0017', v.span, { message: `cannot use ${describe(v)} in tensor arithmetic` });
    };
    const a = toTensor(l, rt);
    const b = toTensor(r, lt);
    switch (e.op) {
      case '+':
        return { kind: 'tensor', v: this.op('add', [a, b], {}, e.span), span: e.span };
      case '-':
        return { kind: 'tensor', v: this.op('sub', [a, b], {}, e.span), span: e.span };
      case '*':
        return { kind: 'tensor', v: this.op('mul', [a, b], {}, e.span), span: e.span };
      case '/':
        return { kind: 'tensor', v: this.op('div', [a, b], {}, e.span), span: e.span };
      case '**':
        if (r.kind === 'num' && r.value === 2) return { kind: 'tensor', v: this.op('square', [a], {}, e.span), span: e.span };
        return { kind: 'tensor', v: this.op('pow', [a, b], {}, e.span), span: e.span };
      case '@':
        return { kind: 'tensor', v: this.op('matmul', [a, b], { transA: false, transB: false }, e.span), span: e.span };
    }
  }

  /** `zeros[B, 32]` / `ones[B, 32]`: constant tensors (unless the name is bound to something else). */
  private isFill(e: A.Index, env: Env): boolean {
    return e.target.kind === 'Name' && (e.target.name === 'zeros' || e.target.name === 'ones') && env.lookup(e.target.name) === undefined;
  }

  private fill(e: A.Index, env: Env): LVal {
    const fill = (e.target as A.Name).name;
    const shape = e.items.map((it) => {
      if (it.kind === 'Slice') return this.fail('DNN0026', it.span, { message: `${fill}[...] takes dims, not slices` });
      return this.dimExpr(it, env, 'check');
    });
    this.checkShape(shape, e.span, `${fill}[...]`);
    return { kind: 'tensor', v: this.op('const', [], { value: fill === 'ones' ? 1 : 0, dtype: 'f32', shape }, e.span), span: e.span };
  }

  /** `target[items]` for the evaluated target. */
  private index(e: A.Index, target: LVal, env: Env): LVal {
    if (target.kind !== 'tensor') return this.fail('DNN0026', e.span, { message: `cannot index ${describe(target)}` });
    const x = target.v;
    const shape = x.type.shape;
    // a single integer-tensor index picks along the last axis: log_softmax(l)[action]
    if (e.items.length === 1 && e.items[0].kind !== 'Slice') {
      const idx = this.expr(e.items[0] as A.Expr, env);
      if (idx.kind === 'tensor') {
        if (idx.v.type.dtype !== 'i32') return this.fail('DNN0026', idx.span, { message: `an index tensor must be i32, got ${idx.v.type.dtype}` });
        const want = shape.slice(0, -1);
        if (!(idx.v.type.shape.length === want.length && want.every((d, i) => dimEq(d, idx.v.type.shape[i]))))
          return this.fail('DNN0026', e.span, {
            message: `indexing ${x.type.dtype}${shapeToString(shape)} with a tensor picks along the last axis and needs indices of shape ${shapeToString(want)}, got ${shapeToString(idx.v.type.shape)}`,
          });
        const depth = this.staticDim(x, shape.length - 1, 'the picked axis', e.span);
        const hot = this.op('one_hot', [idx.v], { depth }, e.span);
        return { kind: 'tensor', v: this.op('reduce_sum', [this.op('mul', [x, hot], {}, e.span)], { axes: [-1], keepdims: false }, e.span), span: e.span };
      }
    }
    if (e.items.length > shape.length)
      return this.fail('DNN0026', e.span, { message: `too many indices: ${e.items.length} for a rank-${shape.length} tensor ${shapeToString(shape)}` });
    const axes: number[] = [];
    const starts: Dim[] = [];
    const ends: Dim[] = [];
    const steps: number[] = [];
    const drop: number[] = [];
    const intOf = (it: A.Expr | undefined): number | undefined => {
      if (!it) return undefined;
      const v = this.expr(it, env);
      if (v.kind !== 'num' || !Number.isInteger(v.value)) return this.fail('DNN0026', it.span, { message: `slice bounds must be integers, got ${describe(v)}` });
      return v.value;
    };
    e.items.forEach((it, axis) => {
      const dim = shape[axis];
      if (it.kind === 'Slice') {
        const start = intOf(it.start);
        const end = intOf(it.end);
        const step = intOf(it.step) ?? 1;
        if (step <= 0) this.fail('DNN0026', it.span, { message: `slice steps must be positive, got ${step}` });
        if (start === undefined && end === undefined && step === 1) return;
        axes.push(axis);
        starts.push(start ?? 0);
        ends.push(end ?? dim);
        steps.push(step);
      } else {
        const i = intOf(it);
        if (i === undefined) return;
        if (isStaticDim(dim) && (i >= dim || i < -dim)) this.fail('DNN0026', it.span, { message: `index ${i} is out of range for axis ${axis} of size ${dim}` });
        axes.push(axis);
        starts.push(i);
        ends.push(i === -1 ? dim : i + 1);
        steps.push(1);
        drop.push(axis);
      }
    });
    let v = x;
    if (axes.length) v = this.op('slice', [x], { axes, starts, ends, steps }, e.span);
    if (drop.length) v = this.op('reshape', [v], { shape: v.type.shape.filter((_, i) => !drop.includes(i)) }, e.span);
    return { kind: 'tensor', v, span: e.span };
  }

  staticDim(v: Value, axis: number, role: string, span: Span): number {
    const d = v.type.shape[axis];
    if (typeof d !== 'number')
      return this.fail('DNN0011', span, { dim: String(d), hint: ` (${role} must be a fixed size, but the tensor is ${v.type.dtype}${shapeToString(v.type.shape)})` });
    return d;
  }

  // ------------------------------------------------------------------ calls

  call(callee: A.Name, args: A.Arg[], piped: LVal | undefined, env: Env, span: Span): LVal {
    const name = callee.name;
    // top-level param/const are lowered before any graph exists: no call can run there
    if (!this.b) {
      const what = this.blocks.has(name) ? `block '${name}'` : this.models.has(name) ? `model '${name}'` : `'${name}'`;
      this.fail('DNN0017', span, { message: `a top-level param or const must be a compile-time value (a number, a dim, a name), not a call of ${what}` }, 'declare it inside the model, block or train block that uses it');
    }
    const block = this.blocks.get(name);
    if (block) return this.callBlock(block, args, piped, env, span);
    if (name === 'scan') return this.scan(callee, args, piped, env, span);
    const model = this.models.get(name);
    if (model) {
      if (this.mode !== 'train' && this.mode !== 'evaluate')
        return this.fail('DNN0017', callee.span, { message: `model '${name}' can be called only inside a train block; to reuse layers inside a model, write a block` });
      return this.callModel(model, args, piped, env, span);
    }
    const builtin = builtins.get(name);
    if (!builtin) {
      const local = env.lookup(name);
      if (local && local !== 'poisoned') return this.fail('DNN0017', callee.span, { message: `'${name}' is ${describe(local.value)}, not something to call` });
      return this.fail('DNN0004', callee.span, { name, hint: didYouMean(name, [...builtins.keys(), ...this.blocks.keys()]) });
    }
    if (builtin.notYet) {
      for (const a of args) this.expr(a.value, env, true); // still report mistakes inside the arguments
      return this.fail('DNN0015', callee.span, { what: `'${name}'`, hint: ` (${builtin.notYet})` });
    }
    return this.callBuiltin(builtin, args, piped, env, span);
  }

  /** Bind call arguments to declared parameters: positional first, then named. */
  private bindArgs(
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
      const v = this.expr(a.value, env, true);
      if (a.name) named.push([a.name, v]);
      else {
        if (named.length) this.fail('DNN0017', a.span, { message: `positional arguments must come before named ones in '${callee}'` });
        positional.push(v);
      }
    }
    positional.forEach((v, i) => {
      if (i < params.length) bound.set(params[i].name, v);
      else if (variadic) rest.push(v);
      else this.fail('DNN0021', v.span, { callee, max: params.length - (piped ? 1 : 0), got: positional.length - (piped ? 1 : 0) });
    });
    for (const [n, v] of named) {
      const p = params.find((q) => q.name === n.name);
      if (!p) this.fail('DNN0005', n.span, { callee, name: n.name, hint: didYouMean(n.name, params.map((q) => q.name)) });
      if (bound.has(n.name)) this.fail('DNN0016', n.span, { name: `argument ${n.name}` });
      bound.set(n.name, v);
    }
    for (const p of params) {
      const v = bound.get(p.name);
      if (!v) {
        if (!p.optional) this.fail('DNN0006', span, { callee, name: p.name });
        continue;
      }
      bound.set(p.name, this.coerce(callee, p.name, p.type, v));
    }
    return { bound, rest };
  }

  private coerce(callee: string, pname: string, type: ParamType, v: LVal): LVal {
    const bad = (what: string): never => this.fail('DNN0017', v.span, { message: `'${callee}': argument '${pname}' must be ${what}, got ${describe(v)}` });
    switch (type) {
      case 'any':
        return v;
      case 'tensor':
        if (v.kind === 'tensor') return v;
        if (v.kind === 'num') return { kind: 'tensor', v: this.scalarLike(v.value, undefined, v.span), span: v.span };
        if (v.kind === 'sym') this.fail('DNN0003', v.span, { name: v.name, hint: '' });
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

  private callBuiltin(builtin: BuiltinImpl, args: A.Arg[], piped: LVal | undefined, env: Env, span: Span): LVal {
    const params = builtin.params.map((p: BuiltinParam) => ({ name: p.name, type: p.type, optional: !!p.optional }));
    const { bound, rest } = this.bindArgs(builtin.name, params, args, piped, env, span, !!builtin.variadic);
    const self = this;
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
          return self.fail('DNN0022', v.span, { message: `'${builtin.name}': '${n}' must be one of ${allowed.join(', ')}; got '${s}'${didYouMean(s, allowed)}` });
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
    const savedScope = this.b.scope;
    this.b.scope = this.scopes[this.scopes.length - 1].path;
    const cx: CallContext = {
      args: callArgs,
      span,
      callee: builtin.name,
      op: (name, inputs, attrs = {}) => self.op(name, inputs, attrs, span),
      scalar: (value) => self.op('const', [], { value, dtype: 'f32', shape: [] }, span),
      fail: (code, a, extra = {}) => self.fail(code, extra.span ?? span, a, extra.help),
      layerPath: (layer) => {
        const path = self.layerPath(layer, explicitName?.kind === 'sym' ? explicitName.name : explicitName?.kind === 'str' ? explicitName.value : undefined);
        self.b.scope = path;
        // a layer named again (shared weights) is one instance
        if (!self.layerRecords.some((r) => r.path === path)) self.layerRecords.push({ path, kind: builtin.name, args: literalArgs(bound) });
        return path;
      },
      param: (path, shape, init) => self.param(path, shape, init, explicitName !== undefined, span),
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
      limitInput: (v, below, what) => {
        if (v.node.op !== 'input') return; // computed ids are checked by the kernels that read them
        const name = String(v.node.attrs.name);
        const ranges = self.b.graph.ranges;
        const prev = ranges.find((r) => r.input === name);
        if (!prev) ranges.push({ input: name, below, what });
        else if (below < prev.below) Object.assign(prev, { below, what });
      },
      limitDim: (dim, max, what) => {
        const limits = self.b.graph.limits;
        const prev = limits.find((l) => l.dim === dim);
        if (!prev) limits.push({ dim, max, what });
        else if (max < prev.max) Object.assign(prev, { max, what });
      },
    };
    try {
      return builtin.apply(cx);
    } finally {
      this.b.scope = savedScope;
    }
  }

  layerPath(layer: string, explicit?: string): string {
    const scope = this.scopes[this.scopes.length - 1];
    if (explicit) return `${scope.path}.${explicit}`;
    const n = (scope.counters.get(layer) ?? 0) + 1;
    scope.counters.set(layer, n);
    return `${scope.path}.${layer}_${n}`;
  }

  param(path: string, shape: number[], init: InitSpec, explicit: boolean, span: Span): Value {
    const prev = this.paramValues.get(path);
    if (prev && this.sharedParams) {
      if (prev.shape.length === shape.length && prev.shape.every((d, i) => d === shape[i])) return prev.value;
    }
    if (prev) {
      if (prev.explicit && explicit && prev.shape.length === shape.length && prev.shape.every((d, i) => d === shape[i])) return prev.value;
      this.fail('DNN0016', span, { name: path }, prev.explicit ? `a layer named again shares its weights only when the shapes agree: ${shapeToString(prev.shape)} vs ${shapeToString(shape)}` : undefined);
    }
    this.checkShape(shape, span, `the parameter ${path}`);
    const total = this.paramElements + staticElements(shape);
    if (total > MAX_PARAM_ELEMENTS)
      this.fail('DNN0033', span, { message: `the parameter ${path} ${shapeToString(shape)} brings the model to ${total.toLocaleString('en-US')} parameters, above the limit of ${formatLimit(MAX_PARAM_ELEMENTS)}` });
    this.paramElements = total;
    const value = this.b.param(path, 'f32', shape, init);
    value.name = path;
    this.paramValues.set(path, { value, shape, explicit });
    this.paramSpecs.push({ path, dtype: 'f32', shape, init });
    return value;
  }

  // ----------------------------------------------------------------- blocks

  private callBlock(block: A.BlockDecl, args: A.Arg[], piped: LVal | undefined, env: Env, span: Span): LVal {
    const name = block.name.name;
    if (this.callStack.some((f) => f.block === name)) {
      const chain = [...this.callStack.map((f) => f.block), name].join(' -> ');
      this.fail('DNN0012', span, { name, chain });
    }
    const params = block.params.map((p) => ({
      name: p.name.name,
      type: (p.type.kind === 'TensorType' ? 'tensor' : p.type.name === 'int' ? 'int' : p.type.name === 'float' ? 'num' : p.type.name === 'bool' ? 'bool' : 'str') as ParamType,
      optional: p.default !== undefined,
    }));
    const { bound } = this.bindArgs(name, params, args, piped, env, span, false);
    const parent = this.scopes[this.scopes.length - 1];
    const n = (parent.counters.get(name) ?? 0) + 1;
    parent.counters.set(name, n);
    return this.enterBlock(block, bound, span, `${parent.path}.${name}_${n}`);
  }

  /** Lower a block's body with bound arguments, its layers named under `path`. */
  private enterBlock(block: A.BlockDecl, bound: Map<string, LVal>, span: Span, path: string): LVal {
    const name = block.name.name;
    const benv = new Env(this.globals);
    // argument shapes are checked at the call site, before entering the block
    for (const p of block.params) {
      const v = bound.get(p.name.name) ?? this.expr(p.default!, benv, true);
      if (p.type.kind === 'TensorType' && v.kind === 'tensor') this.unify(p.type, v.v, benv, p, span);
      benv.set(p.name.name, v, p.name.span);
    }
    this.callStack.push({ block: name, span });
    this.scopes.push({ path, counters: new Map() });
    try {
      let result: LVal | undefined;
      for (const st of block.body)
        this.statement(st, benv, 'block', {
          onReturn: (v) => {
            result = v;
          },
        });
      if (!result) {
        if (!block.body.some((s) => s.kind === 'Return')) this.fail('DNN0025', block.name.span, { name });
        throw new SilentAbort();
      }
      if (block.returns?.kind === 'TensorType' && result.kind === 'tensor') {
        const want = this.tensorType(block.returns, benv, 'check');
        const got = result.v.type;
        if (want.dtype !== got.dtype || want.shape.length !== got.shape.length || !want.shape.every((d, i) => dimEq(d, got.shape[i])))
          this.fail('DNN0010', result.span, { name: `of block ${name}`, declared: `${want.dtype}${shapeToString(want.shape)}`, actual: `${got.dtype}${shapeToString(got.shape)}` });
      }
      return { ...result, span };
    } finally {
      this.scopes.pop();
      this.callStack.pop();
    }
  }

  /**
   * `scan(Cell, over: x, axis: 1, init: h0, reverse: false)`: the block Cell(x_t, h) -> h
   * applied along `axis` of x, unrolled over its (static) length with one set of
   * weights; returns every step's state stacked on that axis ([B, T, H]).
   */
  private scan(callee: A.Name, args: A.Arg[], piped: LVal | undefined, env: Env, span: Span): LVal {
    const cellArg = args.find((a) => !a.name);
    if (!cellArg || cellArg.value.kind !== 'Name' || !this.blocks.has(cellArg.value.name))
      return this.fail('DNN0017', cellArg?.span ?? callee.span, {
        message: `scan's first argument is the cell: a block (x_t, state) -> state${cellArg?.value.kind === 'Name' ? didYouMean(cellArg.value.name, this.blocks.keys()) : ''}`,
      });
    const cell = this.blocks.get(cellArg.value.name)!;
    const rest = args.filter((a) => a !== cellArg);
    const params = [
      { name: 'over', type: 'tensor' as ParamType, optional: false },
      { name: 'axis', type: 'int' as ParamType, optional: true },
      { name: 'init', type: 'tensor' as ParamType, optional: false },
      { name: 'reverse', type: 'bool' as ParamType, optional: true },
    ];
    const { bound } = this.bindArgs('scan', params, rest, piped, env, span, false);
    const x = (bound.get('over') as Extract<LVal, { kind: 'tensor' }>).v;
    const rank = x.type.shape.length;
    const axisArg = bound.get('axis');
    let axis = axisArg?.kind === 'num' ? axisArg.value : 1;
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank) this.fail('DNN0008', axisArg?.span ?? span, { message: `scan: axis ${axis} is out of range for ${x.type.dtype}${shapeToString(x.type.shape)}` });
    const T = x.type.shape[axis];
    if (typeof T !== 'number')
      this.fail('DNN0015', span, { what: `scan over a symbolic length (${T})`, hint: '; give that axis a fixed size, e.g. f32[B, 50, 8]' });
    const tensorParams = cell.params.filter((p) => p.type.kind === 'TensorType');
    if (tensorParams.length < 2) this.fail('DNN0017', cellArg.span, { message: `the cell of scan takes (x_t, state): block '${cell.name.name}' has ${tensorParams.length} tensor parameter(s)` });
    let h = (bound.get('init') as Extract<LVal, { kind: 'tensor' }>).v;
    const reverse = bound.get('reverse')?.kind === 'bool' && (bound.get('reverse') as Extract<LVal, { kind: 'bool' }>).value;
    const parent = this.scopes[this.scopes.length - 1];
    const n = (parent.counters.get('scan') ?? 0) + 1;
    parent.counters.set('scan', n);
    const path = `${parent.path}.scan_${n}.${cell.name.name}`;
    const saved = this.sharedParams;
    this.sharedParams = true; // every step uses the same weights
    const states: Value[] = new Array(T);
    try {
      for (let k = 0; k < T; k++) {
        const t = reverse ? T - 1 - k : k;
        const sl = this.op('slice', [x], { axes: [axis], starts: [t], ends: [t + 1], steps: [1] }, span);
        const xt = this.op('reshape', [sl], { shape: x.type.shape.filter((_, i) => i !== axis) }, span);
        const args = new Map<string, LVal>([
          [tensorParams[0].name.name, { kind: 'tensor', v: xt, span }],
          [tensorParams[1].name.name, { kind: 'tensor', v: h, span }],
        ]);
        const out = this.enterBlock(cell, args, span, path);
        if (out.kind !== 'tensor') return this.fail('DNN0017', span, { message: `the cell of scan must return the new state (a tensor), got ${describe(out)}` });
        if (!dimEqShape(out.v.type.shape, h.type.shape))
          this.fail('DNN0007', span, { message: `the cell of scan must return a state shaped like init ${shapeToString(h.type.shape)}, got ${shapeToString(out.v.type.shape)}` });
        h = out.v;
        states[t] = h;
      }
    } finally {
      this.sharedParams = saved;
    }
    const withAxis = states.map((st) => this.op('reshape', [st], { shape: [...st.type.shape.slice(0, axis), 1, ...st.type.shape.slice(axis)] }, span));
    return { kind: 'tensor', v: withAxis.length === 1 ? withAxis[0] : this.op('concat', withAxis, { axis }, span), span };
  }

  /** Bind the dims named in a block parameter's type to the argument's dims, checking the rest. */
  private unify(t: A.TensorType, v: Value, benv: Env, p: A.BlockParam, callSpan: Span): void {
    const got = v.type;
    const mismatch = (): never =>
      this.fail('DNN0007', callSpan, {
        message: `block parameter '${p.name.name}' expects ${t.dtype}[${t.dims.map((d) => exprText(d)).join(', ')}] but the argument is ${got.dtype}${shapeToString(got.shape)}`,
      });
    if (t.dtype !== got.dtype || t.dims.length !== got.shape.length) mismatch();
    t.dims.forEach((d, i) => {
      if (d.kind === 'Name' && !benv.hasOwn(d.name) && !(this.globals.lookup(d.name) && this.globals.lookup(d.name) !== 'poisoned')) {
        const dim = got.shape[i];
        benv.set(d.name, typeof dim === 'number' ? { kind: 'num', value: dim, isInt: true, span: d.span } : { kind: 'dim', dim, span: d.span }, d.span);
        return;
      }
      const want = this.dimExpr(d, benv, 'check');
      if (!dimEq(want, got.shape[i])) mismatch();
    });
  }
}

function dimEqShape(a: readonly Dim[], b: readonly Dim[]): boolean {
  return a.length === b.length && a.every((d, i) => dimEq(d, b[i]));
}

/** A dim expression as written, for messages; past a few levels of nesting it is elided. */
function exprText(e: A.Expr, depth = 0): string {
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
