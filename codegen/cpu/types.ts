/**
 * What the CPU backend needs of an op, its renderer (an entry of the table in
 * codegen/cpu/renderers.ts; the registry itself holds no backend code), and
 * what a renderer gets and returns.
 */
import type { Dim } from '../../compiler/dims.js';
import type { Attrs, Node } from '../../compiler/ir.js';

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

export interface CpuRenderer {
  /** for elementwise/broadcast ops: the scalar JS expression on already-loaded operands */
  scalar?(args: string[], attrs: Attrs): string;
  /** for other ops: the body of a CPU kernel function (statements), see CpuKernelContext */
  kernel?(ctx: CpuKernelContext): string;
}
