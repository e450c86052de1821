/**
 * Lowering: AST -> graph IR. Walks a model body statement by statement,
 * evaluating expressions to tensors (IR values built through the registry)
 * or compile-time values, expanding blocks, `repeat` and layers into
 * primitive ops. A failed statement records a diagnostic and poisons the
 * name it defines, so independent mistakes are all reported in one run.
 *
 * This file holds the lowering state, statements, types and the op entry
 * point; the other jobs live beside it: expressions.ts (operators, names,
 * indexing), arguments.ts (binding call arguments to parameters),
 * call-builtin.ts (calling a built-in through its CallContext), naming.ts
 * (layer paths and parameters), blocks.ts (blocks, repeat, scan) and
 * model-call.ts (a model called inside a train step).
 */
import type * as A from '../../grammar/ast.js';
import type { Span } from '../../grammar/span.js';
import { GraphBuilder } from '../builder.js';
import type { DataSpec, LayerCall, LayerRecord, TensorSpec } from '../compiled.js';
import { CompileAbort, DiagnosticBag, didYouMean, type DiagnosticCode, type DiagnosticNote } from '../diagnostics.js';
import { alwaysNegative, dimEq, shapeToString, type Dim } from '../dims.js';
import { Graph, type DType, type TensorType, type Value } from '../ir.js';
import { formatLimit, MAX_DIM, MAX_DIM_EXPRESSION_LENGTH, MAX_OPERATIONS, MAX_NESTING, MAX_TENSOR_ELEMENTS, staticElements } from '../limits.js';
import { getOp } from '../ops/index.js';
import { ShapeError } from '../ops/types.js';
import { suggestCallee } from '../suggest.js';
import { callBuiltin } from './call-builtin.js';
import { builtins } from './builtins/index.js';
import type { DataFields } from './builtins/data-schemas.js';
import { callBlock, repeat, scan } from './blocks.js';
import { SilentAbort } from './abort.js';
import type { BodyHooks, Frame, LowerContext, LowerMode, ScopeFrame } from './context.js';
import { Env } from './env.js';
import { exprAt } from './expressions.js';
import { callModel } from './model-call.js';
import { asDim, describe, type LVal } from './values.js';

/** The most inputs one concat kernel reads (plus its output: 8 arrays, WebGPU's guaranteed minimum). */
const CONCAT_FAN_IN = 7;

export { SilentAbort };

export type { Frame, ScopeFrame } from './context.js';

export interface LoweredModel {
  graph: Graph;
  env: Env;
  inputs: { name: string; value: Value; decl: A.InputDecl }[];
  outputs: { name: string; value: Value; decl: A.OutputDecl }[];
  params: TensorSpec[];
  state: TensorSpec[];
  layers: LayerRecord[];
  calls: LayerCall[];
}

const DATA_SET_HELP =
  'the built-in data sets are csv(...) and mnist(...); a project adds its own with registerDataset (from dnnc/data) in a dnnc.data.js or dnnc.data.ts beside the .dnn file or in a folder above it';

export class Lowerer implements LowerContext {
  readonly blocks = new Map<string, A.BlockDecl>();
  readonly models = new Map<string, A.ModelDecl>();
  readonly globals = new Env();
  b!: GraphBuilder;
  // the state below is shared with the modules that lower expressions, calls, blocks and model calls
  callStack: Frame[] = [];
  scopes: ScopeFrame[] = [];
  paramValues = new Map<string, { value: Value; shape: number[]; explicit: boolean }>();
  paramSpecs: TensorSpec[] = [];
  /** the elements of paramSpecs together (MAX_PARAM_ELEMENTS) */
  paramElements = 0;
  stateSpecs: TensorSpec[] = [];
  layerRecords: LayerRecord[] = [];
  layerCalls: LayerCall[] = [];
  /** what the current graph is for: layers like dropout and batchnorm behave differently when training */
  mode: LowerMode = 'predict';
  /** symbolic dims introduced by input types, by name */
  symDims = new Set<string>();
  usedOverrides = new Set<string>();
  /** operations in the graphs of this file finished so far (MAX_OPERATIONS counts them all); compile.ts keeps it */
  operationsSpent = 0;
  /** levels of expression nesting being evaluated (see expr) */
  depth = 0;

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

  notes(): DiagnosticNote[] {
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
    return { graph, env, inputs, outputs, params: this.paramSpecs, state: this.stateSpecs, layers: this.layerRecords, calls: this.layerCalls };
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
    this.layerCalls = [];
    this.scopes = [{ path: rootScope, counters: new Map() }];
    this.callStack = [];
    this.inputBindings = undefined;
    this.sharedParams = false;
  }

  /** In a model call: the model's inputs are bound to these values instead of becoming graph inputs. */
  inputBindings: Map<string, Value> | undefined;
  /** In a model call: parameters of the same path are the same weights (a model called twice in a step). */
  sharedParams = false;
  /** A train step's data set: `data.image` becomes the graph input `image` of the field's shape. */
  dataFields: DataFields | undefined;
  /** the data set of the train step being lowered, for messages (with dataFields) */
  dataSpec: DataSpec | undefined;
  /** while lowering a train field's value: optimizers, schedules and data sets are what "did you mean" offers first */
  inTrainField = false;
  /** true while lowering data, validate or test: an unknown callee there is likely a data set not registered */
  inDataField = false;

  // ------------------------------------------------------------- statements

  body(
    stmts: A.Stmt[],
    env: Env,
    where: 'model' | 'block' | 'train' | 'global' | 'repeat',
    hooks: BodyHooks = {},
  ): void {
    for (const s of stmts) this.statement(s, env, where, hooks);
  }

  statement(s: A.Stmt | A.Item, env: Env, where: string, hooks: BodyHooks = {}): void {
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
          repeat(this, s, env, where, hooks);
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

  recover(e: unknown, env: Env, defined: string | undefined): void {
    if (e instanceof CompileAbort || e instanceof SilentAbort) {
      if (defined) env.poison(defined);
      return;
    }
    throw e;
  }

  /**
   * DNN0016, with a note at the first definition, when `name` is already
   * defined in this environment (with `outer`, in an enclosing one too: a
   * train input may not reuse a name of its model).
   */
  checkNew(name: A.Name, env: Env, outer = false): void {
    if (!outer && !env.hasOwn(name.name)) return;
    const prev = env.lookup(name.name);
    if (!prev || prev === 'poisoned') return;
    const d = this.diag.error('DNN0016', name.span, { name: name.name }, { notes: [...this.notes(), { message: 'first defined here', span: prev.span }] });
    throw new CompileAbort(d);
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

  dimExpr(e: A.Expr, env: Env, mode: 'introduce' | 'check'): Dim {
    if (e.kind === 'Name') {
      const found = env.lookup(e.name);
      if (found === 'poisoned') throw new SilentAbort();
      if (found) {
        const d = asDim(found.value);
        if (d === undefined) this.fail('DNN0017', e.span, { message: `'${e.name}' is ${describe(found.value)}, not a dimension` });
        return d;
      }
      if (this.symDims.has(e.name) || mode === 'introduce') {
        // every shape holding the symbol repeats it: dim arithmetic costs time in its length
        if (e.name.length > MAX_DIM_EXPRESSION_LENGTH)
          this.fail('DNN0033', e.span, { message: `a symbolic dim named with ${e.name.length.toLocaleString('en-US')} characters is above the limit of ${MAX_DIM_EXPRESSION_LENGTH} for a symbolic dim` });
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
      return exprAt(this, e, env, argPosition);
    } finally {
      this.depth--;
    }
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
    const out = this.shapeRule(span, () => this.b.op(name, inputs, attrs as never));
    this.checkShape(out.type.shape, span, `the result of '${name}'`);
    return out;
  }

  /** The shape rule of op `name` on operands of these types, adding nothing (a layer checks its arguments before it allocates weights for them). */
  checkOp(name: string, inputs: TensorType[], attrs: Record<string, unknown>, span: Span): void {
    this.shapeRule(span, () => getOp(name).infer(inputs, attrs as never));
  }

  /** Runs `f`; an op's ShapeError becomes a located diagnostic at `span`, keeping the op's code and help. */
  private shapeRule<T>(span: Span, f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof ShapeError) this.fail(e.code, span, { message: e.message }, e.help);
      throw e;
    }
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
    if (block) return callBlock(this, block, args, piped, env, span);
    if (name === 'scan') return scan(this, callee, args, piped, env, span);
    const model = this.models.get(name);
    if (model) {
      if (this.mode !== 'train' && this.mode !== 'evaluate')
        return this.fail('DNN0017', callee.span, { message: `model '${name}' can be called only inside a train block; to reuse layers inside a model, write a block` });
      return callModel(this, model, args, piped, env, span);
    }
    const builtin = builtins.get(name);
    if (!builtin) {
      const local = env.lookup(name);
      if (local && local !== 'poisoned') return this.fail('DNN0017', callee.span, { message: `'${name}' is ${describe(local.value)}, not something to call` });
      const hint = suggestCallee(name, { builtins, blocks: this.blocks.keys(), inTrainField: this.inTrainField });
      return this.fail('DNN0004', callee.span, { name, hint }, this.inDataField && !hint ? DATA_SET_HELP : undefined);
    }
    if (builtin.notYet) {
      for (const a of args) this.expr(a.value, env, true); // still report mistakes inside the arguments
      return this.fail('DNN0015', callee.span, { what: `'${name}'`, hint: ` (${builtin.notYet})` });
    }
    return callBuiltin(this, builtin, args, piped, env, span);
  }

}
