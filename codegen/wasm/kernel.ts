/**
 * The wasm form of a CPU kernel, as WebAssembly SIMD functions over byte
 * offsets in the model's memory:
 *  1. Whole group: every phase of the group (codegen/cpu/group.ts) has a
 *     wasm form: loop phases of f32 elementwise ops (codegen/wasm/
 *     elementwise.ts) and node phases with a template (matmul, conv2d and its
 *     gradients, maxpool and its gradient); a multi-tensor group runs its
 *     members one after another. When the JS kernel is split, the heavy
 *     phase is the export `<name>` over rows [r0, r1) (on the threads), and
 *     the phases before and after it are `<name>__pre` and `<name>__post`.
 *  2. Else, the heavy phase alone (the one node with a CPU split template):
 *     the rest of the group stays in the JS kernel, which runs its phases
 *     before (-2) and after (-3) the wasm one on views of the same memory
 *     (codegen/cpu/split.ts), so nothing is copied between them.
 */
import { dimAdd, dimSymbols, evalShape, type Dim } from '../../compiler/dims.js';
import type { Node, Value } from '../../compiler/ir.js';
import { phasesOf } from '../cpu/group.js';
import { loopPhaseSupported, loopPhaseWat } from './elementwise.js';
import { maxpool2dGradWasm, maxpool2dWasm } from './ops/pool.js';
import { reduceSumWasm } from './ops/reduce.js';
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

/** op name -> wasm template of a node phase that does not split over threads */
export const wasmNodeTemplates: Record<string, WasmTemplate> = {
  ...wasmTemplates,
  maxpool2d: maxpool2dWasm,
  maxpool2d_grad: maxpool2dGradWasm,
  reduce_sum: reduceSumWasm,
};

/** node templates whose rows split over threads (the others compute everything in one call) */
const byRows = new Set([...Object.keys(wasmTemplates), 'maxpool2d', 'maxpool2d_grad']);

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
  const k = wholeGroup(name, group, cpu) ?? heavyPhase(name, group, cpu);
  return k && fitsWasm32(group, k.spec.scratch) && constantsFit(k.funcs) ? k : undefined;
}

/**
 * Whether every i32 constant and memory offset of the kernel's functions is
 * one wasm32 takes: a stride of 10^9 makes a row step of 10^11 bytes (and
 * one of 1e308 an infinite one) in a kernel whose tensors are small (its
 * output is 1 x 1); such a kernel keeps its JS form.
 */
function constantsFit(funcs: WatFunction[]): boolean {
  for (const f of funcs)
    for (const line of f.body)
      // any token there: a number JS printed as 1e+21 or Infinity (a stride of 1e308) is one too
      for (const m of line.matchAll(/\(i32\.const ([^\s)]+)\)|offset=([^\s)]+)/g)) {
        const v = Number(m[1] ?? m[2]);
        if (!Number.isInteger(v) || v < -(2 ** 31) || v > MAX_WASM_BYTES) return false;
      }
  return true;
}

/**
 * The largest byte size a wasm kernel handles: its offsets and sizes are
 * i32 constants and signed i32 arithmetic, and a wasm32 memory holds 4 GiB.
 */
const MAX_WASM_BYTES = 2 ** 31 - 1;

/**
 * Whether every tensor of the group (at 1 for each symbolic dim) and the
 * kernel's scratch fit MAX_WASM_BYTES; a kernel past it keeps its JS form
 * (a conv2d with a 1000 x 1000 kernel has a column matrix of 12 GB).
 */
function fitsWasm32(group: KernelGroup, scratch: Dim): boolean {
  const bytes = (v: Value) => v.type.shape.reduce<number>((a, d) => a * (typeof d === 'number' ? d : 1), v.type.dtype === 'bool' ? 1 : 4);
  if ([...group.inputs, ...group.outputs].some((v) => bytes(v) > MAX_WASM_BYTES)) return false;
  const [atOne] = evalShape([scratch], Object.fromEntries(dimSymbols(scratch).map((d) => [d, 1])));
  return atOne <= MAX_WASM_BYTES;
}

/** 1. every phase in wasm (undefined when one has no wasm form) */
function wholeGroup(name: string, group: KernelGroup, cpu: CpuKernelSource): WasmKernelSource | undefined {
  const members = group.members ?? [group];
  const nIns = group.inputs.length;
  const args = Array.from({ length: nIns + group.outputs.length }, (_, i) => i);
  const dims = [...new Set([...group.inputs, ...group.outputs].flatMap((v) => v.type.shape.flatMap(dimSymbols)))].sort();
  // each member's values -> kernel arguments
  const argMaps: Map<number, number>[] = [];
  let insAt = 0;
  let outsAt = 0;
  for (const m of members) {
    const map = new Map<number, number>();
    m.inputs.forEach((v, j) => map.has(v.id) || map.set(v.id, insAt + j));
    m.outputs.forEach((v, j) => map.set(v.id, nIns + outsAt + j));
    insAt += m.inputs.length;
    outsAt += m.outputs.length;
    argMaps.push(map);
  }
  const phases = members.map((m) => phasesOf(m.nodes));
  for (const ps of phases)
    for (const p of ps) {
      if (p.kind === 'loop' && !loopPhaseSupported(p.nodes)) return undefined;
      if (p.kind === 'node' && !wasmNodeTemplates[p.node.op]) return undefined;
    }
  // the heavy phase runs by rows (and on the threads): a GEMM or convolution, else a pooling
  const rowPhase = (ops: (op: string) => boolean) => phases[0].findIndex((p) => p.kind === 'node' && ops(p.node.op));
  const heavyAt = rowPhase((op) => Boolean(wasmTemplates[op]));
  const splitAt = group.members ? -1 : heavyAt >= 0 ? heavyAt : rowPhase((op) => byRows.has(op));
  const builder = (fn: string) => new KernelBuilder(fn, cpu.comment, args.map((a) => `$a${a}`), dims);
  let scratch: Dim = 0;
  let rows: WasmKernelSpec['rows'] = { extent: 1, align: 1, flops: 0 };
  /** the statements of phases [from, to) of member k; undefined when a template declines */
  const emit = (b: KernelBuilder, k: number, from: number, to: number, byRows: boolean): string[] | undefined => {
    const map = argMaps[k];
    const ptr = (v: Value) => {
      const a = map.get(v.id);
      return a === undefined ? undefined : `$a${a}`;
    };
    const out: string[] = [];
    for (let i = from; i < to; i++) {
      const p = phases[k][i];
      if (p.kind === 'loop') {
        const written = p.nodes.flatMap((n) => n.outputs).filter((v) => map.has(v.id));
        if (p.nodes.some((n) => n.inputs.some((v) => !ptr(v) && !p.nodes.some((q) => q.outputs.includes(v)) && !isFill(v)))) return undefined;
        out.push(`;; ${p.nodes.map((n) => n.op).join(' -> ')}`, ...loopPhaseWat(b, `m${k}p${i}`, p.nodes, p.domain, ptr, written));
        continue;
      }
      const node: Node = p.node;
      const ptrs = [...node.inputs, ...node.outputs].map(ptr);
      if (ptrs.some((x) => !x)) return undefined;
      const op = wasmNodeTemplates[node.op]({
        b,
        node,
        in: ptrs.slice(0, node.inputs.length) as string[],
        out: ptrs.slice(node.inputs.length) as string[],
        inShape: node.inputs.map((v) => v.type.shape),
        outShape: node.outputs.map((v) => v.type.shape),
        attrs: node.attrs,
      });
      if (!op) return undefined;
      if (typeof op.scratch === 'number' && typeof scratch === 'number') scratch = Math.max(scratch, op.scratch);
      else scratch = op.scratch === 0 ? scratch : scratch === 0 ? op.scratch : maxDim(scratch, op.scratch);
      if (byRows) rows = op.rows;
      else out.push(`(local.set $r0 (i32.const 0))`, `(local.set $r1 ${b.dimExpr(op.rows.extent)})`);
      out.push(`;; ${node.op}`, ...op.body);
    }
    return out;
  };
  const funcs: WatFunction[] = [];
  const make = (fn: string, parts: (b: KernelBuilder) => (string[] | undefined)[]): boolean => {
    const b = builder(fn);
    const bodies = parts(b);
    if (bodies.some((x) => !x)) return false;
    funcs.push(b.finish(bodies.flat() as string[]), ...b.funcs);
    return true;
  };
  if (splitAt < 0) {
    if (!make(name, (b) => members.map((_, k) => emit(b, k, 0, phases[k].length, false)))) return undefined;
    return { spec: { args, dims, scratch, rows }, funcs };
  }
  const n = phases[0].length;
  if (!make(name, (b) => [emit(b, 0, splitAt, splitAt + 1, true)])) return undefined;
  const pre = splitAt > 0;
  const post = splitAt < n - 1;
  if (pre && !make(`${name}__pre`, (b) => [emit(b, 0, 0, splitAt, false)])) return undefined;
  if (post && !make(`${name}__post`, (b) => [emit(b, 0, splitAt + 1, n, false)])) return undefined;
  return { spec: { args, dims, scratch, rows, ...(pre ? { pre } : {}), ...(post ? { post } : {}) }, funcs };
}

const isFill = (v: Value) => v.node.op === 'const' && typeof v.node.attrs.value === 'number';

/** an upper bound of two scratch sizes: their sum (symbolic sizes do not compare) */
function maxDim(a: Dim, b: Dim): Dim {
  return typeof a === 'number' && typeof b === 'number' ? Math.max(a, b) : dimAdd(a, b);
}

/** 2. the heavy phase alone */
function heavyPhase(name: string, group: KernelGroup, cpu: CpuKernelSource): WasmKernelSource | undefined {
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
