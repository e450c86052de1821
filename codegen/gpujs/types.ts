/**
 * What the gpujs backend needs of an op: its renderer, an entry of the table
 * in codegen/gpujs/renderers.ts (the registry itself holds no backend code).
 */
import type { Attrs, DType } from '../../compiler/ir.js';
import type { GpujsKernel, GpujsKernelContext } from '../../compiler/ops/types.js';

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
