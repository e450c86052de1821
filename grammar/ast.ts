/**
 * The typed AST of a .dnn file. Every node carries the span of the source
 * text it came from, so later stages can point diagnostics at it.
 * Newlines are not significant in the language; `;` may separate statements.
 */
import type { Span } from './span.js';

export interface Node {
  span: Span;
}

// ---------------------------------------------------------------- expressions

export interface NumberLit extends Node {
  kind: 'Number';
  value: number;
  /** written without a fraction or exponent (`128`, not `128.0` or `1e3`) */
  isInt: boolean;
}
export interface StringLit extends Node {
  kind: 'String';
  value: string;
}
export interface BoolLit extends Node {
  kind: 'Bool';
  value: boolean;
}
export interface Name extends Node {
  kind: 'Name';
  name: string;
}
export interface Arg extends Node {
  /** set for `name: value`, absent for positional arguments */
  name?: Name;
  value: Expr;
}
export interface Call extends Node {
  kind: 'Call';
  callee: Name;
  args: Arg[];
}
/** `input |> target`; a bare name target (`|> relu`) becomes a Call with no args. */
export interface Pipe extends Node {
  kind: 'Pipe';
  input: Expr;
  target: Call;
}
export type ArithmeticOp = '+' | '-' | '*' | '/' | '@' | '**';
/** comparisons yield bool tensors (or a bool for two numbers) */
export type ComparisonOp = '==' | '!=' | '<' | '<=' | '>' | '>=';
export type LogicalOp = 'and' | 'or';
export type BinaryOp = ArithmeticOp | ComparisonOp | LogicalOp;
export interface Binary extends Node {
  kind: 'Binary';
  op: BinaryOp;
  left: Expr;
  right: Expr;
  opSpan: Span;
}
export interface Unary extends Node {
  kind: 'Unary';
  op: '-' | '+' | 'not';
  operand: Expr;
}
export interface SliceItem extends Node {
  kind: 'Slice';
  start?: Expr;
  end?: Expr;
  step?: Expr;
}
export type IndexItem = Expr | SliceItem;
/** `x[:, -1, :]`, `log_softmax(l)[action]`, `zeros[B, 32]` */
export interface Index extends Node {
  kind: 'Index';
  target: Expr;
  items: IndexItem[];
}
/** `data.image` */
export interface Member extends Node {
  kind: 'Member';
  object: Expr;
  property: Name;
}
export interface ListLit extends Node {
  kind: 'List';
  items: Expr[];
}

export type Expr =
  | NumberLit
  | StringLit
  | BoolLit
  | Name
  | Call
  | Pipe
  | Binary
  | Unary
  | Index
  | Member
  | ListLit;

// ---------------------------------------------------------------------- types

export type DTypeName = 'f32' | 'f16' | 'i32' | 'bool';
/** `f32[B, 1, 28, 28]`; dims are expressions (`D * 4`, `T - 1`, `B`). `f32[]` is a scalar. */
export interface TensorType extends Node {
  kind: 'TensorType';
  dtype: DTypeName;
  dims: Expr[];
}
/** Scalar parameter types of blocks: `heads: int`, `causal: bool`, `rate: float`, `mode: str`. */
export interface ScalarType extends Node {
  kind: 'ScalarType';
  name: 'int' | 'float' | 'bool' | 'str';
}
export type TypeExpr = TensorType | ScalarType;

// ----------------------------------------------------------------- statements

export interface InputDecl extends Node {
  kind: 'Input';
  name: Name;
  type: TensorType;
}
export interface OutputDecl extends Node {
  kind: 'Output';
  name: Name;
  type: TensorType;
}
export interface Definition extends Node {
  name: Name;
  value: Expr;
}
/** `param D = 128, L = 4`: hyperparameters, overridable from the CLI and create({ params }). */
export interface ParamDecl extends Node {
  kind: 'Param';
  entries: Definition[];
}
/** `const EPS = 1e-5` */
export interface ConstDecl extends Node {
  kind: 'Const';
  entries: Definition[];
}
/**
 * `name = expr`, or in train blocks also `name: expr` (`clip: norm(1.0)`).
 * `optimizer = adam(lr: 2e-4) on Discriminator` sets `on`.
 */
export interface Binding extends Node {
  kind: 'Binding';
  target: Name;
  value: Expr;
  on?: Name[];
}
/** In a train block: `label : i32[B]`, an extra input the step needs (labels, rewards). */
export interface TrainInputDecl extends Node {
  kind: 'TrainInput';
  name: Name;
  type: TensorType;
}
/** `repeat L { ... }` or `repeat L as layers { ... }`: unrolled, separate weights per iteration. */
export interface Repeat extends Node {
  kind: 'Repeat';
  count: Expr;
  as?: Name;
  body: Stmt[];
}
export interface Return extends Node {
  kind: 'Return';
  value: Expr;
}
/** `step generator { ... }` inside a train block */
export interface Step extends Node {
  kind: 'Step';
  name: Name;
  body: Stmt[];
}
/** `sync QNet -> QNetTarget every 500 steps` or `sync A -> B every 1 steps tau: 0.005` */
export interface Sync extends Node {
  kind: 'Sync';
  from: Name;
  to: Name;
  every?: Expr;
  tau?: Expr;
}

export type Stmt =
  | InputDecl
  | OutputDecl
  | ParamDecl
  | ConstDecl
  | Binding
  | TrainInputDecl
  | Repeat
  | Return
  | Step
  | Sync;

// ---------------------------------------------------------------- top level

export interface ModelDecl extends Node {
  kind: 'Model';
  name: Name;
  body: Stmt[];
}
export interface BlockParam extends Node {
  name: Name;
  type: TypeExpr;
  default?: Expr;
}
export interface BlockDecl extends Node {
  kind: 'Block';
  name: Name;
  params: BlockParam[];
  returns?: TypeExpr;
  body: Stmt[];
}
export interface TrainDecl extends Node {
  kind: 'Train';
  name: Name;
  /** `train Reinforce on Policy { ... }`; absent means the model named like the train block */
  on?: Name[];
  body: Stmt[];
}

export type Item = ModelDecl | BlockDecl | TrainDecl | ParamDecl | ConstDecl;

export interface Program extends Node {
  kind: 'Program';
  items: Item[];
}
