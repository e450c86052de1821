/**
 * The shape of one op registry entry. Each primitive op is defined once:
 * attributes, shape rule, reference implementation, gradient rule, fusion
 * pattern kind, and the snippet each code renderer needs. Tests loop over
 * the registry, so a new op is gradient-checked without anyone remembering to.
 */
import type { Attrs, DType, Node, TensorType, Value } from '../ir.js';
import type { GraphBuilder } from '../builder.js';
import type { DiagnosticCode } from '../diagnostics.js';
import type { DimEnv } from '../dims.js';

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

export interface GradContext {
  b: GraphBuilder;
  /** the forward node: node.inputs and node.outputs are forward values */
  node: Node;
  /** gradient of the loss with respect to each output (undefined: that output does not reach the loss) */
  dy: (Value | undefined)[];
}

export interface CpuKernelContext {
  node: Node;
  /** JS names of the input typed arrays */
  in: string[];
  /** JS names of the output typed arrays */
  out: string[];
  /** per input, a JS expression for each dim (numbers appear as literals, symbolic dims as `dims.B`) */
  inShape: string[][];
  outShape: string[][];
  attrs: Attrs;
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
  /** for elementwise/broadcast ops: the scalar expression on already-loaded operands (JS) */
  scalarJs?(args: string[], attrs: Attrs): string;
  /** for other ops: the body of a CPU kernel function (statements), see CpuKernelContext */
  cpu?(ctx: CpuKernelContext): string;
  /** inputs for the registry-wide tests (gradient checks, reference vs CPU kernels) */
  samples: OpSample[];
  /** true for ops whose result depends on nothing but attrs and could be folded (const, fill) */
  foldable?: boolean;
}
