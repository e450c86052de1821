/**
 * What the lowering modules (expressions, arguments, builtin calls, naming,
 * blocks, model calls) use of the lowerer: its shared state and the entry
 * points they call back. lowerer.ts's Lowerer implements it; the modules
 * depend on this interface, not on the class, so no import runs in a circle.
 */
import type * as A from '../../grammar/ast.js';
import type { Span } from '../../grammar/span.js';
import type { GraphBuilder } from '../builder.js';
import type { DataSpec, LayerCall, LayerRecord, TensorSpec } from '../compiled.js';
import type { DiagnosticCode } from '../diagnostics.js';
import type { Dim } from '../dims.js';
import type { DType, TensorType, Value } from '../ir.js';
import type { DataFields } from './builtins/data-schemas.js';
import type { Env } from './env.js';
import type { LVal } from './values.js';

/** A block or model call being lowered (for recursion checks and messages). */
export interface Frame {
  block: string;
  span: Span;
}

/** A naming scope: the path of the layer being lowered and its per-kind counters. */
export interface ScopeFrame {
  path: string;
  counters: Map<string, number>;
}

/** Callbacks of a body's statements (see LowerContext.body). */
export interface BodyHooks {
  onInput?: (decl: A.InputDecl, v: Value) => void;
  onOutput?: (decl: A.OutputDecl) => void;
  onReturn?: (v: LVal, stmt: A.Return) => void;
  onOther?: (stmt: A.Stmt) => boolean;
}

export type LowerMode = 'predict' | 'train' | 'evaluate';

export interface LowerContext {
  readonly blocks: Map<string, A.BlockDecl>;
  readonly globals: Env;
  readonly sourceDir?: string;
  b: GraphBuilder;
  callStack: Frame[];
  scopes: ScopeFrame[];
  paramValues: Map<string, { value: Value; shape: number[]; explicit: boolean }>;
  paramSpecs: TensorSpec[];
  paramElements: number;
  stateSpecs: TensorSpec[];
  layerRecords: LayerRecord[];
  layerCalls: LayerCall[];
  mode: LowerMode;
  symDims: Set<string>;
  inputBindings: Map<string, Value> | undefined;
  sharedParams: boolean;
  dataFields: DataFields | undefined;
  dataSpec: DataSpec | undefined;

  fail(code: DiagnosticCode, span: Span, args: Record<string, string | number>, help?: string): never;
  body(stmts: A.Stmt[], env: Env, where: 'model' | 'block' | 'train' | 'global' | 'repeat', hooks?: BodyHooks): void;
  statement(s: A.Stmt | A.Item, env: Env, where: string, hooks?: BodyHooks): void;
  tensorType(t: A.TensorType, env: Env, mode: 'introduce' | 'check'): { dtype: DType; shape: Dim[] };
  dimExpr(e: A.Expr, env: Env, mode: 'introduce' | 'check'): Dim;
  expr(e: A.Expr, env: Env, argPosition?: boolean): LVal;
  op(name: string, inputs: Value[], attrs: Record<string, unknown>, span: Span): Value;
  checkOp(name: string, inputs: TensorType[], attrs: Record<string, unknown>, span: Span): void;
  checkShape(shape: readonly Dim[], span: Span, what: string): void;
  staticDim(v: Value, axis: number, role: string, span: Span): number;
  call(callee: A.Name, args: A.Arg[], piped: LVal | undefined, env: Env, span: Span): LVal;
}
