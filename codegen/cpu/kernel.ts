/**
 * CPU kernels: JS source specialised to the static shapes of one group of
 * nodes (today a group is one node; the fusion pass will hand larger groups).
 *
 * A kernel is `function name(ins, outs, dims) { ... }` over typed arrays.
 * Its prologue binds `in0..`, `out0..` to the arrays (typed casts in TS);
 * the body comes from, in order of preference:
 *   0. a split template (matmul, conv2d and its gradients): the kernel takes
 *      the part to run as one more argument (a row range among them), so the
 *      CPU backend can run one call on several threads (codegen/cpu/split.ts),
 *   1. a codegen template for the op (matmul: blocked, 4-row unrolled),
 *   2. the generic elementwise/broadcast generator (op kind elementwise/broadcast),
 *   3. the op's own `cpu(ctx)` snippet.
 */
import { dimToJs, normDim, shapeToString, type Dim } from '../../compiler/dims.js';
import type { DType, Node, Value } from '../../compiler/ir.js';
import { getOp } from '../../compiler/ops/index.js';
import { cpuRenderer } from './renderers.js';
import type { CpuKernelContext, ScratchDType } from './types.js';
import { commentText } from '../names.js';
import { elementwiseBody } from './elementwise.js';
import { assertIndexedReads } from './strict-indexing.js';
import { cpuSplitTemplates, cpuTemplates } from './templates.js';
import { SPLIT_PART } from './split.js';

/** A kernel in source form, before it is rendered as JS or TS. */
export interface CpuKernelSource {
  name: string;
  /** one line: op, operand and result types */
  comment: string;
  ins: DType[];
  outs: DType[];
  /** statements; `in0..`, `out0..` and `dims` are in scope (and `run`, the part to run, for a split kernel) */
  body: string;
  /** a split kernel, called `(ins, outs, dims, run)` to compute a part of it, a range of its rows among them (codegen/cpu/split.ts) */
  split?: boolean;
  /** scratch arrays `sc0..` the body uses: the plan provides them, in `outs` after the outputs (CpuKernelContext.scratch) */
  scratch?: ScratchDecl[];
}

export interface ScratchDecl {
  dtype: ScratchDType;
  size: Dim;
}

/** Records the scratch a kernel body asks for (CpuKernelContext.scratch); names `sc0`, `sc1`, ... */
export class ScratchAlloc {
  readonly decls: ScratchDecl[] = [];
  readonly take = (dtype: ScratchDType, size: Dim): string => {
    this.decls.push({ dtype, size: normDim(size) });
    return `sc${this.decls.length - 1}`;
  };
  /** for a kernel source: the declarations, when there are any */
  field(): { scratch?: ScratchDecl[] } {
    return this.decls.length ? { scratch: [...this.decls] } : {};
  }
}

/** A group of nodes computed by one kernel (the unit the fusion pass will produce). */
export interface KernelGroup {
  nodes: Node[];
  /** values read from outside the group, in argument order */
  inputs: Value[];
  /** values written, in argument order */
  outputs: Value[];
  /**
   * how many of the last `outputs` are scratch: values a CPU kernel passes
   * between its phases, not needed outside the group (a GPU kernel that keeps
   * them in registers need not write them)
   */
  scratch?: number;
  /**
   * a multi-tensor group (codegen/cpu/multi.ts): its members, whose inputs
   * and outputs (scratch included) concatenated are this group's
   */
  members?: KernelGroup[];
}

export const arrayType: Record<DType | ScratchDType, string> = { f32: 'Float32Array', i32: 'Int32Array', bool: 'Uint8Array', f64: 'Float64Array' };

export function typeString(v: { dtype: DType; shape: Dim[] }): string {
  return `${v.dtype}${shapeToString(v.shape)}`;
}

/** A readable comment: `matmul f32[B, 784] @ f32[784, 128] -> f32[B, 128]`. */
export function kernelComment(group: KernelGroup): string {
  const ops = group.nodes.map((n) => n.op).join(' + ');
  const ins = group.inputs.map((v) => typeString(v.type));
  const outs = group.outputs.map((v) => typeString(v.type));
  const sep = group.nodes.length === 1 && group.nodes[0].op === 'matmul' ? ' @ ' : ', ';
  const attrs = group.nodes.length === 1 ? attrText(group.nodes[0]) : '';
  return `${ops}${attrs} ${ins.join(sep)} -> ${outs.join(', ')}`;
}

function attrText(node: Node): string {
  const skip = new Set(['shape', 'name', 'path', 'init', 'role', 'data']);
  const parts = Object.entries(node.attrs)
    .filter(([k, v]) => !skip.has(k) && v !== undefined && v !== null && v !== false)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return parts.length ? `{${parts.join(', ')}}` : '';
}

export function singleNodeGroup(node: Node): KernelGroup {
  return { nodes: [node], inputs: [...node.inputs], outputs: [...node.outputs] };
}

/** Generate the kernel for a group (one node for now). */
export function generateKernel(name: string, group: KernelGroup): CpuKernelSource {
  if (group.nodes.length !== 1) throw new Error('internal: fused CPU kernels are not implemented yet');
  const node = group.nodes[0];
  const def = getOp(node.op);
  const inNames = group.inputs.map((_, i) => `in${i}`);
  const outNames = group.outputs.map((_, i) => `out${i}`);
  // each attempt records its own scratch (a template that declines asks for none, but stay safe)
  let scratch = new ScratchAlloc();
  const context = (): CpuKernelContext => {
    scratch = new ScratchAlloc();
    return {
      node,
      in: inNames,
      out: outNames,
      inShape: group.inputs.map((v) => v.type.shape.map((d) => dimToJs(d))),
      outShape: group.outputs.map((v) => v.type.shape.map((d) => dimToJs(d))),
      attrs: node.attrs,
      scratch: scratch.take,
    };
  };
  const renderer = cpuRenderer(node.op);
  const splitBody = cpuSplitTemplates[node.op]?.(context());
  let body: string | undefined = splitBody ?? cpuTemplates[node.op]?.(context());
  if (body !== undefined) {
    // a template covered it
  } else if ((def.kind === 'elementwise' || def.kind === 'broadcast') && renderer?.scalar) body = elementwiseBody(node, inNames, outNames);
  else if (renderer?.kernel) body = renderer.kernel(context());
  else throw new Error(`op '${node.op}' has no CPU kernel (no scalar expression, no kernel renderer)`);
  return {
    name,
    comment: kernelComment(group),
    ins: group.inputs.map((v) => v.type.dtype),
    outs: group.outputs.map((v) => v.type.dtype),
    body,
    ...(splitBody !== undefined ? { split: true } : {}),
    ...scratch.field(),
  };
}

/** Render a kernel as a named function declaration (JS, or TS with typed parameters). */
export function renderKernel(k: CpuKernelSource, options: { ts: boolean; indent?: string }): string {
  const ts = options.ts;
  // a split kernel takes the part to run as one more, optional argument (codegen/cpu/split.ts)
  const part = k.split ? (ts ? `, ${SPLIT_PART}?: KernelPart` : `, ${SPLIT_PART}`) : '';
  const sig = ts ? `(ins: TypedArray[], outs: TypedArray[], dims: Dims${part}): ${k.split ? 'SplitRows | void' : 'void'}` : `(ins, outs, dims${part})`;
  const bind = (prefix: string, arr: string, dtypes: (DType | ScratchDType)[], from = 0) =>
    dtypes.map((d, i) => `  const ${prefix}${i} = ${arr}[${from + i}]${ts ? (d === 'f64' ? ' as unknown as Float64Array' : ` as ${arrayType[d]}`) : ''};`);
  const lines = [
    `// ${commentText(k.comment)}`,
    `function ${k.name}${sig} {`,
    ...bind('in', 'ins', k.ins),
    ...bind('out', 'outs', k.outs),
    // scratch (planned, see ProgramStep.scratch) follows the outputs
    ...bind('sc', 'outs', (k.scratch ?? []).map((d) => d.dtype), k.outs.length),
    ...k.body.split('\n').map((l) => (l.trim() === '' ? '' : `  ${l}`)),
    `}`,
  ];
  return ts ? assertIndexedReads(lines.join('\n')) : lines.join('\n');
}

/** Compile kernels in-process (tests, the CLI's train command): name -> function. */
export function compileKernels(kernels: CpuKernelSource[]): Record<string, (ins: unknown[], outs: unknown[], dims: Record<string, number>) => void> {
  const src = kernels.map((k) => renderKernel(k, { ts: false })).join('\n\n');
  const names = kernels.map((k) => k.name);
  const factory = new Function(`'use strict';\n${src}\nreturn { ${names.join(', ')} };`);
  return factory() as Record<string, (ins: unknown[], outs: unknown[], dims: Record<string, number>) => void>;
}
