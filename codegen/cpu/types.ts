/**
 * What the CPU backend needs of an op: its renderer, an entry of the table
 * in codegen/cpu/renderers.ts (the registry itself holds no backend code).
 */
import type { Attrs } from '../../compiler/ir.js';
import type { CpuKernelContext } from '../../compiler/ops/types.js';

export interface CpuRenderer {
  /** for elementwise/broadcast ops: the scalar JS expression on already-loaded operands */
  scalar?(args: string[], attrs: Attrs): string;
  /** for other ops: the body of a CPU kernel function (statements), see CpuKernelContext */
  kernel?(ctx: CpuKernelContext): string;
}
