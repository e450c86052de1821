/**
 * The wasm form of a CPU kernel: its heavy phase (the one node with a CPU
 * split template: matmul, conv2d and its gradients) as a WebAssembly SIMD
 * function over byte offsets in the model's memory. The rest of a fused
 * group (bias, activation, ...) stays in the JS kernel, which runs its
 * phases before (-2) and after (-3) the split one on views of the same
 * memory (codegen/cpu/split.ts), so nothing is copied between them.
 */
import { dimSymbols } from '../../compiler/dims.js';
import type { Value } from '../../compiler/ir.js';
import type { WasmKernelSpec } from '../../runtime/program.js';
import type { CpuKernelSource, KernelGroup } from '../cpu/kernel.js';
import { cpuSplitTemplates } from '../cpu/templates.js';
import { KernelBuilder } from './builder.js';
import { conv2dBackpropFilterWasm, conv2dBackpropInputWasm, conv2dWasm } from './ops/conv.js';
import { matmulWasm } from './ops/matmul.js';
import type { WasmTemplate } from './ops/types.js';
import type { WatFunction } from './wat.js';

/** op name -> wasm template of its split phase */
export const wasmTemplates: Record<string, WasmTemplate> = {
  matmul: matmulWasm,
  conv2d: conv2dWasm,
  conv2d_backprop_input: conv2dBackpropInputWasm,
  conv2d_backprop_filter: conv2dBackpropFilterWasm,
};

export interface WasmKernelSource {
  spec: WasmKernelSpec;
  /** the kernel function (exported under the kernel's name), then its helpers */
  funcs: WatFunction[];
}

/**
 * The wasm kernel of `cpu` (the JS kernel of `group`), exported as `name`;
 * undefined when the JS kernel is not split or its split op has no wasm
 * template for these shapes.
 */
export function generateWasmKernel(name: string, group: KernelGroup, cpu: CpuKernelSource): WasmKernelSource | undefined {
  if (!cpu.split || group.members) return undefined;
  const heavy = group.nodes.filter((n) => cpuSplitTemplates[n.op] && wasmTemplates[n.op]);
  if (heavy.length !== 1) return undefined;
  const node = heavy[0];
  const single = group.nodes.length === 1;
  // kernel argument of a value the node reads or writes: the group's inputs, then its outputs (scratch included)
  const argOf = (v: Value, k: number, isOut: boolean): number => {
    if (single) return isOut ? group.inputs.length + k : k;
    const i = group.inputs.indexOf(v);
    if (i >= 0 && !isOut) return i;
    const o = group.outputs.indexOf(v);
    if (o < 0) throw new Error(`internal: wasm kernel ${name}: a value of ${node.op} is not a kernel argument`);
    return group.inputs.length + o;
  };
  const ins = node.inputs.map((v, k) => argOf(v, k, false));
  const outs = node.outputs.map((v, k) => argOf(v, k, true));
  const args = [...new Set([...ins, ...outs])];
  const dims = [...new Set([...node.inputs, ...node.outputs].flatMap((v) => v.type.shape.flatMap(dimSymbols)))].sort();
  const b = new KernelBuilder(name, cpu.comment, args.map((a) => `$a${a}`), dims);
  const op = wasmTemplates[node.op]({
    b,
    node,
    in: ins.map((a) => `$a${a}`),
    out: outs.map((a) => `$a${a}`),
    inShape: node.inputs.map((v) => v.type.shape),
    outShape: node.outputs.map((v) => v.type.shape),
    attrs: node.attrs,
  });
  if (!op) return undefined;
  const f = b.finish(op.body);
  return {
    spec: { args, dims, scratch: op.scratch, rows: op.rows, ...(single ? {} : { phases: true }) },
    funcs: [f, ...b.funcs],
  };
}
