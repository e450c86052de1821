/**
 * What the gpujs backend needs of an op, its renderer (an entry of the table in
 * codegen/gpujs/renderers.ts; the registry itself holds no backend code), and
 * what a renderer gets and returns.
 */
import type { Dim } from '../../compiler/dims.js';
import type { Attrs, DType, Node } from '../../compiler/ir.js';

/**
 * What an op's gpu.js renderer gets (non-elementwise ops). A gpu.js kernel
 * computes ONE output element per thread: the renderer returns the body of a
 * kernel function that computes element `i` (the flattened row-major index
 * of output `ctx.out`, already bound as `const i = this.thread.x`) from the
 * flattened inputs `in0..` and ends with `return <value>;`.
 *
 * gpu.js accepts a subset of JS: `const`/`let` numbers, + - * / %, Math.*,
 * ternaries over comparisons, `for` loops with constant bounds, array reads
 * `in0[expr]`. Everything is a float on the GPU (i32 and bool included: bool
 * is 0 or 1), so index math must stay exact in f32: use gpujsIdiv/gpujsUnravel
 * (codegen/gpujs/util.ts) rather than `Math.floor(a / b)`, and write no bitwise ops.
 * Shapes are source text: literals, or `@{B}` placeholders that the runtime
 * replaces with the bound value before it creates the kernel (per batch size),
 * so every loop bound is a constant.
 */
export interface GpujsKernelContext {
  node: Node;
  /** parameter names of the inputs (flattened arrays) */
  in: string[];
  /** the output this kernel computes (0 for single-output ops) */
  out: number;
  /** per input / output, each dim as gpu.js source (`784`, `@{B}`) */
  inShape: string[][];
  outShape: string[][];
  inDims: Dim[][];
  outDims: Dim[][];
  inDtype: DType[];
  outDtype: DType[];
  attrs: Attrs;
}

/** A gpu.js kernel body, and constant arrays it reads (bound as parameters `d0..` after the inputs). */
export interface GpujsKernel {
  body: string;
  data?: number[][];
}

export interface GpujsRenderer {
  /**
   * for elementwise/broadcast ops whose CPU scalar uses what gpu.js cannot
   * compile (truthiness of numbers, `|`, Math.expm1/log1p): the same scalar
   * expression in gpu.js's subset, on operands that are floats (bool: 0 or 1).
   * Absent: the gpujs renderer uses the CPU's scalar expression.
   */
  scalar?(args: string[], attrs: Attrs, dtypes: DType[]): string;
  /** for other ops: a gpu.js kernel computing one output element (see GpujsKernelContext) */
  kernel?(ctx: GpujsKernelContext): string | GpujsKernel;
}
