/**
 * The shape of a built-in callable (layer, math function, loss, metric, data
 * set, optimizer, schedule) and the argument binding shared by all of them:
 * positional then named arguments, defaults, unknown/missing/extra argument
 * diagnostics with "did you mean".
 */
import type { Span } from '../../grammar/span.js';
import type { Value } from '../ir.js';
import type { LVal } from './values.js';

export type ParamType = 'tensor' | 'int' | 'num' | 'bool' | 'sym' | 'str' | 'list' | 'dim' | 'any';

export interface BuiltinParam {
  name: string;
  type: ParamType;
  /** absent and not optional = required */
  optional?: boolean;
}

export type BuiltinKind = 'layer' | 'fn' | 'loss' | 'metric' | 'data' | 'optimizer' | 'schedule' | 'clip';

export interface CallArgs {
  /** bound arguments by parameter name */
  get(name: string): LVal | undefined;
  has(name: string): boolean;
  tensor(name: string): Value;
  optTensor(name: string): Value | undefined;
  int(name: string, dflt?: number): number;
  num(name: string, dflt?: number): number;
  bool(name: string, dflt?: boolean): boolean;
  /** a symbol argument (`padding: same`) checked against allowed values */
  sym(name: string, allowed: readonly string[], dflt?: string): string;
  str(name: string, dflt?: string): string | undefined;
  span(name: string): Span;
  /** for variadic builtins: the extra positional arguments */
  rest: LVal[];
}

export interface Builtin {
  name: string;
  kind: BuiltinKind;
  doc: string;
  params: BuiltinParam[];
  /** accepts any number of extra positional arguments (reshape(64, 7, 7)) */
  variadic?: boolean;
  /** not available yet: lowering reports DNN0015 naming the issue that brings it */
  notYet?: string;
  /** for the generated reference (docs/reference.md): shapes in and out, the parameters it creates, conventions that differ between frameworks */
  reference?: BuiltinReference;
}

export interface BuiltinReference {
  /** input -> output shapes, e.g. "[..., in] -> [..., units]" */
  shapes?: string;
  /** the parameters (and state) it creates, under the layer's path: "weight [in, units]: he_normal for relu, else glorot_uniform" */
  weights?: string[];
  /** conventions worth knowing when comparing with other frameworks */
  notes?: string[];
}

export interface CallContext {
  args: CallArgs;
  /** the span of the whole call, for diagnostics */
  span: Span;
  callee: string;
  /** add a registry op; a shape error becomes a located diagnostic at the call */
  op(name: string, inputs: Value[], attrs?: Record<string, unknown>): Value;
  /** the shape rule of op `name` on operands of these types, adding nothing: check arguments against the op's own rules before allocating weights for them */
  checkOp(name: string, inputs: import('../ir.js').TensorType[], attrs?: Record<string, unknown>): void;
  scalar(value: number): Value;
  /** record a diagnostic at the call (or the given span) and abandon this statement */
  fail(code: import('../diagnostics.js').DiagnosticCode, args: Record<string, string | number>, extra?: { help?: string; span?: Span }): never;
  /** the path of a new layer instance in the current scope: "Model.dense_1" or "Model.fc1" for name: fc1 */
  layerPath(layer: string): string;
  /** a trainable parameter (reused when an explicitly named layer is called again with the same shape) */
  param(path: string, shape: number[], init: import('../ir.js').InitSpec): Value;
  /** the folder of the .dnn file (relative data paths resolve against it), when compiled from a file */
  sourceDir?: string;
  /** 'train' while lowering a training step (dropout active, batchnorm on batch statistics), else 'predict' or 'evaluate' */
  mode: 'predict' | 'train' | 'evaluate';
  /** a non-trainable persistent tensor of the model (running statistics) */
  state(path: string, shape: number[], init: import('../ir.js').InitSpec): Value;
  /** in a training step, write `value` back into the state tensor `path` after the step (ignored otherwise) */
  update(path: string, value: Value): void;
  /** a scalar the runtime feeds: 'step' (1-based optimizer step) or 'seed' (the model's seed), for in-graph randomness */
  hyper(name: 'step' | 'seed'): Value;
  /** a symbolic dim this layer can only handle up to `max` (a run-time check when inputs bind it) */
  limitDim(dim: string, max: number, what: string): void;
  /** integer values this layer can only take in [0, below) (token ids, or class ids with kind 'classes'): checked on the input at run time when `v` is one */
  limitInput(v: Value, below: number, what: string, kind?: 'classes'): void;
  /** in a train step whose data set is known at compile time: the field that will feed the input `v` at run time */
  dataFeeding(v: Value): import('./label-source.js').FeedingField | undefined;
  /** static size of a dim, or fail with DNN0011 naming the role */
  staticDim(v: Value, axis: number, role: string): number;
}

export interface BuiltinImpl extends Builtin {
  apply(cx: CallContext): LVal;
}
