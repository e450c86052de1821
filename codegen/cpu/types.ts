/**
 * What the CPU backend needs of an op, its renderer (an entry of the table in
 * codegen/cpu/renderers.ts; the registry itself holds no backend code), and
 * what a renderer gets and returns.
 */
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
}

export interface CpuRenderer {
  /** for elementwise/broadcast ops: the scalar JS expression on already-loaded operands */
  scalar?(args: string[], attrs: Attrs): string;
  /** for other ops: the body of a CPU kernel function (statements), see CpuKernelContext */
  kernel?(ctx: CpuKernelContext): string;
}
