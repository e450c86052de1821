/**
 * What the webgpu backend needs of an op, its renderer (an entry of the table in
 * codegen/wgsl/renderers.ts; the registry itself holds no backend code), and
 * what a renderer gets and returns.
 */
import type { Dim } from '../../compiler/dims.js';
import type { Attrs, DType, Node } from '../../compiler/ir.js';

/**
 * What an op's WGSL renderer gets (non-elementwise ops). Buffers are bound as
 * `in0..` (read-only storage) and `out0..` (read_write storage); element types
 * are `f32`, `i32`, and `u32` for bool (0 or 1 per element: WGSL has no bool
 * in storage). Shapes are WGSL u32 expressions: literals (`784u`) or reads of
 * the dims uniform (`dims.B`, `u32(2 * i32(dims.T) - 1)`).
 */
export interface WgslKernelContext {
  node: Node;
  /** the arrays' names; input 0 and output 0 of a renderer that `fuses` are read and written through load and store only */
  in: string[];
  out: string[];
  /** element `index` of input `i` as an expression: `in0[index]`, or a fused loader's `fused_load(index)` */
  load(i: number, index: string): string;
  /** the statement writing `value` at `index` of output `o`: `out0[index] = value;`, or a fused epilogue's `fused_store(index, value);` */
  store(o: number, index: string, value: string): string;
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

export interface WgslRenderer {
  /**
   * for elementwise/broadcast ops: the scalar WGSL expression on loaded operands.
   * Operands and result have their logical types: f32, i32 or bool (the generator
   * converts bool to and from u32 storage); `dtypes` are the operand dtypes.
   */
  scalar?(args: string[], attrs: Attrs, dtypes: DType[]): string;
  /** for other ops: a WGSL compute kernel (see WgslKernelContext, WgslKernel) */
  kernel?(ctx: WgslKernelContext): WgslKernel;
  /**
   * for ops with the `contracts` trait: the kernel that also writes the sum of
   * input `input` over its contracted axes into the array `sumOut` (a GEMM's
   * extra row or column against ones)
   */
  sum?(ctx: WgslKernelContext, input: number, sumOut: string): WgslKernel;
  /**
   * what of the kernel can run fused with the loops around it: `load`, when
   * it reads input 0 only through ctx.load (a loop computing that input then
   * runs inside the read); `store`, when it writes output 0 only through
   * ctx.store (a loop over the output then runs inside the write).
   * test/codegen/wgsl-fusion-hooks.test.ts renders every renderer to check
   * what it declares.
   */
  fuses?: { load?: boolean; store?: boolean };
}
