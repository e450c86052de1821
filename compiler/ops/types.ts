/**
 * The shape of one op registry entry. Each primitive op is defined once:
 * attributes, shape rule, reference implementation, gradient rule, fusion
 * pattern kind and samples: its semantics only. How each backend writes the
 * op is that backend's table (codegen/<backend>/renderers.ts). Tests loop
 * over the registry, so a new op is gradient-checked without anyone
 * remembering to.
 */
import type { Attrs, DType, Node, TensorType, Value } from '../ir.js';
import type { DiagnosticCode } from '../diagnostics.js';
import type { DimEnv, Shape } from '../dims.js';

/** TVM's operator pattern classes; the fusion pass asks these, never op names. */
export type PatternKind = 'leaf' | 'elementwise' | 'broadcast' | 'injective' | 'reduce' | 'out-elementwise-fusable' | 'opaque';

/** A concrete tensor for reference implementations: float64 for f32 (the ground truth), Int32Array for i32/bool. */
export interface RefTensor {
  dtype: DType;
  shape: number[];
  data: Float64Array | Int32Array;
}

/** A shape/type rule failure; lowering turns it into a located diagnostic. */
export class ShapeError extends Error {
  constructor(
    message: string,
    readonly code: DiagnosticCode = 'DNN0007',
    readonly help?: string,
  ) {
    super(message);
  }
}

/**
 * What a gradient rule may ask of the graph builder: compiler/builder.ts's
 * GraphBuilder implements it. Declared here so that the registry does not
 * import the builder, which looks ops up in the registry.
 */
export interface GradBuilder {
  /** add a registry op and return its first output */
  op(op: string, inputs: Value[], attrs?: Attrs): Value;
  /** add a registry op and return all its outputs */
  opN(op: string, inputs: Value[], attrs?: Attrs): Value[];
  /** a scalar constant */
  scalar(value: number, dtype?: DType): Value;
  /** a constant tensor filled with one value */
  fill(value: number, shape: Shape, dtype?: DType): Value;
  add(a: Value, b: Value): Value;
  sub(a: Value, b: Value): Value;
  mul(a: Value, b: Value): Value;
  div(a: Value, b: Value): Value;
  neg(a: Value): Value;
  /** `v` with another shape of the same size (itself when the shape is the same) */
  reshape(v: Value, shape: Shape): Value;
  /** sum `v` down to `shape`, undoing numpy broadcasting: the gradient of a broadcast */
  unbroadcast(v: Value, shape: Shape): Value;
  /** broadcast `v` up to `shape` */
  broadcastTo(v: Value, shape: Shape): Value;
}

export interface GradContext {
  b: GradBuilder;
  /** the forward node: node.inputs and node.outputs are forward values */
  node: Node;
  /** gradient of the loss with respect to each output (undefined: that output does not reach the loss) */
  dy: (Value | undefined)[];
}

export interface SampleInput {
  shape: number[];
  dtype?: DType;
  /** for f32: uniform range (default [-1, 1]); for i32: values in [0, range[1]) */
  range?: [number, number];
  /** for gradient checks: keep values away from kinks (relu at 0, abs at 0, max ties) */
  avoid?: number[];
}

export interface OpSample {
  inputs: SampleInput[];
  attrs?: Attrs;
  note?: string;
}

export interface OpDef {
  name: string;
  kind: PatternKind;
  /** one line: what it computes */
  doc: string;
  /** number of inputs, or 'variadic' */
  arity: number | 'variadic';
  /** attribute names this op accepts (for the verifier) */
  attrNames?: string[];
  /** output types from input types and attrs; throws ShapeError on bad input */
  infer(inputs: TensorType[], attrs: Attrs): TensorType[];
  /** the ground truth in plain JS (float64); `dims` binds symbolic dims used in attrs (reshape to [B, 784]) */
  reference(inputs: RefTensor[], attrs: Attrs, dims: DimEnv): RefTensor[];
  /** reverse-mode rule built from registry ops; absent = not differentiable (its inputs get no gradient) */
  grad?(ctx: GradContext): (Value | undefined)[];
  /**
   * the axes of an input that the op sums over (a GEMM's K). A reduce_sum of
   * that input over exactly these axes (a bias gradient next to its weight
   * gradient) joins the op's kernel: WGSL computes it as one more row or
   * column of the GEMM against ones (its renderer's `sum`, which every op
   * with this trait has); CPU and gpu.js run it as a phase of the same kernel.
   */
  contracts?(node: Node): { input: number; axes: number[] }[];
  /** for a plain sum of input 0 over some axes (kept axes in order): those axes, sorted; what `contracts` is matched against */
  sumOf?(node: Node): number[];
  /** inputs for the registry-wide tests (gradient checks, reference vs CPU kernels) */
  samples: OpSample[];
  /** true for ops whose result depends on nothing but attrs and could be folded (const, fill) */
  foldable?: boolean;
}
