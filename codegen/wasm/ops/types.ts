/**
 * What a wasm op template gets and returns. A template writes the body of
 * the kernel's one heavy phase (a GEMM, a convolution) as WAT statements
 * over byte pointers; the kernel builder (codegen/wasm/kernel.ts) wraps it
 * in a function with the standard signature (codegen/wasm/builder.ts).
 */
import type { Dim } from '../../../compiler/dims.js';
import type { Attrs, Node } from '../../../compiler/ir.js';
import type { KernelBuilder } from '../builder.js';

export interface WasmOpContext {
  b: KernelBuilder;
  node: Node;
  /** pointer parameters ('$a0') of the node's inputs and outputs */
  in: string[];
  out: string[];
  inShape: Dim[][];
  outShape: Dim[][];
  attrs: Attrs;
}

export interface WasmOpKernel {
  body: string[];
  /** bytes of scratch one thread needs (packed panels, im2col columns, accumulators) */
  scratch: Dim;
  /**
   * how the call splits over threads: rows [r0, r1) of `extent`, chunk
   * boundaries multiples of `align`; `flops` decides whether threads pay
   */
  rows: { extent: Dim; align: number; flops: Dim };
}

export type WasmTemplate = (ctx: WasmOpContext) => WasmOpKernel | undefined;
