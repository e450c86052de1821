/**
 * What the webgpu backend needs of an op: its renderer, an entry of the
 * table in codegen/wgsl/renderers.ts (the registry itself holds no backend code).
 */
import type { Attrs, DType } from '../../compiler/ir.js';
import type { WgslKernel, WgslKernelContext } from '../../compiler/ops/types.js';

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
}
