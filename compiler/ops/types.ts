/**
 * The shape of one op registry entry. Each primitive op is defined once:
 * attributes, shape rule, reference implementation, gradient rule, fusion
 * pattern kind, and the snippet each code renderer needs. Tests loop over
 * the registry, so a new op is gradient-checked without anyone remembering to.
 */
import type { Attrs, DType, Node, TensorType, Value } from '../ir.js';
import type { GraphBuilder } from '../builder.js';
import type { DiagnosticCode } from '../diagnostics.js';
import type { Dim, DimEnv } from '../dims.js';

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
  /**
   * Scratch of the kernel (im2col and packing panels, accumulators, index
   * tables): an array of `size` elements of `dtype` that the memory plan
   * provides, like a temporary, so a kernel call allocates nothing. Returns
   * the JS name of the array. Its contents on entry are unspecified (another
   * kernel's scratch): the kernel writes every element it reads.
   */
  scratch(dtype: ScratchDType, size: Dim): string;
}

/** Element types of kernel scratch (float64 accumulators and panels, i32 tables). */
export type ScratchDType = 'f64' | 'f32' | 'i32';

/**
 * What an op's WGSL renderer gets (non-elementwise ops). Buffers are bound as
 * `in0..` (read-only storage) and `out0..` (read_write storage); element types
 * are `f32`, `i32`, and `u32` for bool (0 or 1 per element: WGSL has no bool
 * in storage). Shapes are WGSL u32 expressions: literals (`784u`) or reads of
 * the dims uniform (`dims.B`, `u32(2 * i32(dims.T) - 1)`).
 */
export interface WgslKernelContext {
  node: Node;
  in: string[];
  out: string[];
  inShape: string[][];
  outShape: string[][];
  /** the same shapes as Dims (to decide what is static) */
  inDims: Dim[][];
  outDims: Dim[][];
  /** storage element type per buffer: f32 | i32 | u32 (bool) */
  inType: string[];
  outType: string[];
  attrs: Attrs;
}

/**
 * One compute shader's op-specific part. The generator adds the bindings, the
 * dims uniform and `fn main` with, in scope: `gid`, `lid`, `wid`, `nwg`
 * (vec3<u32> builtins), `li` (local_invocation_index), `wg` (the linear
 * workgroup index: `wid.x + wid.y * nwg.x`, for 1-D dispatches that the runtime
 * may fold into 2-D above 65535 workgroups) and `idx` (`wg * workgroupSize + li`).
 * Barriers must stay in uniform control flow: guard stores, do not return early.
 */
export interface WgslKernel {
  /** module-scope declarations: workgroup arrays, helper functions, constants */
  decls?: string;
  /** statements of `main` */
  body: string;
  /** @workgroup_size (x, y, z); the product is at most 256 */
  workgroupSize: [number, number?, number?];
  /** workgroups per dispatch axis (at most 3): ceil(items / per), items a Dim evaluated at run time */
  workgroups: { items: Dim; per: number }[];
}

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
 * (kernel-util) rather than `Math.floor(a / b)`, and write no bitwise ops.
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
  /**
   * for elementwise/broadcast ops: the scalar WGSL expression on loaded operands.
   * Operands and result have their logical types: f32, i32 or bool (the generator
   * converts bool to and from u32 storage); `dtypes` are the operand dtypes.
   */
  scalarWgsl?(args: string[], attrs: Attrs, dtypes: DType[]): string;
  /** for other ops: a WGSL compute kernel (see WgslKernelContext, WgslKernel) */
  wgsl?(ctx: WgslKernelContext): WgslKernel;
  /**
   * the axes of an input that the op sums over (a GEMM's K). A reduce_sum of
   * that input over exactly these axes (a bias gradient next to its weight
   * gradient) joins the op's kernel: `wgslSum` computes it as one more row
   * or column of the GEMM against ones; CPU and gpu.js run it as a phase of
   * the same kernel.
   */
  contracts?(node: Node): { input: number; axes: number[] }[];
  /** for a plain sum of input 0 over some axes (kept axes in order): those axes, sorted; what `contracts` is matched against */
  sumOf?(node: Node): number[];
  /** the WGSL kernel that also writes the sum of input `input` over its contracted axes into the array `sumOut` */
  wgslSum?(ctx: WgslKernelContext, input: number, sumOut: string): WgslKernel;
  /**
   * for elementwise/broadcast ops whose scalarJs uses what gpu.js cannot
   * compile (truthiness of numbers, `|`, Math.expm1/log1p): the same scalar
   * expression in gpu.js's subset, on operands that are floats (bool: 0 or 1).
   * Absent: the gpujs renderer uses scalarJs.
   */
  scalarGpujs?(args: string[], attrs: Attrs, dtypes: DType[]): string;
  /** for other ops: a gpu.js kernel computing one output element (see GpujsKernelContext) */
  gpujs?(ctx: GpujsKernelContext): string | GpujsKernel;
  /** inputs for the registry-wide tests (gradient checks, reference vs CPU kernels) */
  samples: OpSample[];
  /** true for ops whose result depends on nothing but attrs and could be folded (const, fill) */
  foldable?: boolean;
}
