/**
 * WGSL kernels: one compute shader per kernel group (today one node per
 * group, like the CPU kernels; fusion will hand larger groups).
 *
 * A shader binds, in group 0: `in0..` (storage, read), `out0..` (storage,
 * read_write), then `dims` (uniform struct of the symbolic dims it reads, in
 * sorted order) when it reads any. Storage element types: f32, i32, and u32
 * for bool (one 0/1 per element). Its body comes from
 *   1. the generic elementwise/broadcast generator (op kind elementwise/broadcast, the renderer's `scalar`),
 *   2. the op's own renderer `kernel(ctx)` (renderers.ts) (matmul, reductions, shape ops, const).
 * An op with neither has no WGSL kernel: the webgpu backend refuses the model
 * and names the op (see missingKernels).
 */
import { shapeEq, shapeToString, type Dim } from '../../compiler/dims.js';
import type { DType, Node, Value } from '../../compiler/ir.js';
import { getOp } from '../../compiler/ops/index.js';
import { wgslRenderer } from './renderers.js';
import { fillConstant } from '../../compiler/ops/kernel-util.js';
import { wgslDim, wgslStorageType } from './util.js';
import type { WgslKernel, WgslKernelContext } from './types.js';
import type { WgslKernelSpec, WgslPass } from '../../runtime/program.js';
import { kernelComment, type KernelGroup } from '../cpu/kernel.js';
import { multiArgMap } from '../cpu/multi.js';
import { commentText, NameTable } from '../names.js';
import { contractedSumInput } from '../../compiler/passes/fuse.js';
import { packedMultiWgsl } from './multi.js';
import { elementwiseWgsl, loopLines, loopWgsl } from './elementwise.js';

/** A WGSL kernel ready for the program: name, one-line comment, and the spec the runtime dispatches. */
export interface WgslKernelSource extends WgslKernelSpec {
  name: string;
  comment: string;
}

const isLoopOp = (n: Node): boolean => {
  const d = getOp(n.op);
  return (d.kind === 'elementwise' || d.kind === 'broadcast') && n.outputs.length === 1 && Boolean(wgslRenderer(n.op)?.scalar);
};

/** Every node an elementwise loop op: each thread reads an operand's element before it writes its own (what reading and writing one buffer needs). */
const loopOnly = (nodes: Node[]): boolean => nodes.every(isLoopOp);

/** true when the op of `opName` has a WGSL renderer. */
export function hasWgsl(opName: string): boolean {
  const def = getOp(opName);
  const r = wgslRenderer(opName);
  if (def.kind === 'leaf') return opName === 'const' ? Boolean(r?.kernel) : true;
  return Boolean(((def.kind === 'elementwise' || def.kind === 'broadcast') && r?.scalar) || r?.kernel);
}

type LoopPhase = { loop: true; nodes: Node[]; domain: Dim[] };
type Phase = LoopPhase | { loop: false; node: Node };

/** One shader: a loop phase alone, or a node with, optionally, a loop phase as the loader of its input 0 and one as the epilogue of its output 0. */
type NodePlan = { node: Node; pro?: LoopPhase; epi?: LoopPhase; sum?: { node: Node; input: number } };
type PassPlan = { loop: LoopPhase } | NodePlan;

/**
 * The WGSL kernel of a group, or undefined when one of its ops has no WGSL
 * renderer.
 *
 * Algorithm:
 *  1. Phases: a run of elementwise/broadcast nodes over one domain is a loop
 *     phase (intermediates in registers); any other node is a node phase.
 *     Scalar nodes that only feed loops and are not written ride along in the
 *     next loop (computed per thread).
 *  2. Passes: a node phase absorbs the loop phase before it as the loader of
 *     its input 0 when it is a reduction and that loop feeds nothing else, and
 *     the loop phase after it as the epilogue of its output 0 when that loop
 *     runs over the node's output domain, when the node's renderer declares
 *     that it `fuses` that side: it reads input 0 through ctx.load and writes
 *     output 0 through ctx.store, which then call module-scope functions that
 *     compute the loop at flat index i (`fused_load(i)`, `fused_store(i, v)`).
 *  3. Values crossing passes live in the group's outputs (the plan's scratch
 *     included) or in temps.
 *
 *  4. In place (`inPlace`: input i and output o share one buffer, the plan's
 *     in-place update of a param or state tensor): a pass that reads input i
 *     and writes output o binds the buffer once, as output o, and reads the
 *     old value from it (each thread reads its element before it writes it).
 *     WebGPU refuses a writable binding that overlaps another binding of the
 *     same dispatch, so the two may not be bound separately.
 *
 * Before: conv2d, then add(bias) + relu: 2 passes, the conv output in memory.
 * After:  1 pass; conv2d's store calls fused_store(i, acc), which adds the
 *         bias, applies relu and writes the result.
 */
export function generateWgslKernel(name: string, group: KernelGroup, inPlace: ReadonlyMap<number, number> = new Map()): WgslKernelSource | undefined {
  if (!group.nodes.every((n) => hasWgsl(n.op))) return undefined;
  if (group.members) return concatMembers(name, group, inPlace);
  const phases: Phase[] = [];
  // scalar nodes that only feed loop nodes and are not written (a recomputed
  // scalar chain such as Adam's bias corrections) ride along in the next loop
  // pass, computed per thread, instead of being a pass of their own
  const outputs = new Set(group.outputs.slice(0, group.outputs.length - (group.scratch ?? 0)));
  const floating = (n: Node) =>
    isLoopOp(n) &&
    n.outputs[0].type.shape.length === 0 &&
    !outputs.has(n.outputs[0]) &&
    group.nodes.every((u) => !u.inputs.includes(n.outputs[0]) || isLoopOp(u));
  let pending: Node[] = [];
  const flush = () => {
    if (pending.length) phases.push({ loop: true, nodes: pending, domain: [] });
    pending = [];
  };
  for (const n of group.nodes) {
    const last = phases[phases.length - 1];
    if (floating(n)) pending.push(n);
    else if (isLoopOp(n)) {
      const domain = n.outputs[0].type.shape;
      if (last && last.loop && shapeEq(last.domain, domain)) last.nodes.push(...pending, n);
      else phases.push({ loop: true, nodes: [...pending, n], domain });
      pending = [];
    } else {
      flush();
      phases.push({ loop: false, node: n });
    }
  }
  flush();

  // 2. passes
  const producedBy = (p: LoopPhase) => new Set(p.nodes.flatMap((n) => n.outputs));
  const readersOf = (v: Value) => group.nodes.filter((n) => n.inputs.includes(v));
  const canLoad = (pro: Phase | undefined, n: Node): pro is LoopPhase => {
    if (!pro || !pro.loop || getOp(n.op).kind !== 'reduce' || !wgslRenderer(n.op)?.fuses?.load) return false;
    const x = n.inputs[0];
    const made = producedBy(pro);
    if (!made.has(x) || x.type.dtype !== 'f32' || !shapeEq(pro.domain, x.type.shape)) return false;
    // the loop's values feed only input 0 of n
    if (n.inputs.some((v, i) => i > 0 && made.has(v))) return false;
    return [...made].every((v) => !outputs.has(v) && readersOf(v).every((u) => u === n || pro.nodes.includes(u)));
  };
  const canStore = (n: Node, epi: Phase | undefined): epi is LoopPhase => {
    if (!epi || !epi.loop) return false;
    const k = getOp(n.op).kind;
    if (k !== 'reduce' && k !== 'out-elementwise-fusable' && k !== 'injective' && k !== 'opaque') return false;
    if (!wgslRenderer(n.op)?.fuses?.store) return false;
    const y = n.outputs[0];
    if (y.type.dtype === 'bool' || !shapeEq(epi.domain, y.type.shape)) return false;
    return epi.nodes.some((u) => u.inputs.includes(y)) && n.outputs.slice(1).every((o) => !epi.nodes.some((u) => u.inputs.includes(o)));
  };
  const plans: PassPlan[] = [];
  for (let i = 0; i < phases.length; i++) {
    const p = phases[i];
    if (p.loop) {
      plans.push({ loop: p });
      continue;
    }
    const prev = plans[plans.length - 1];
    const pro = prev && 'loop' in prev && canLoad(prev.loop, p.node) ? prev.loop : undefined;
    if (pro) plans.pop();
    const next = phases[i + 1];
    const epi = canStore(p.node, next) ? (next as LoopPhase) : undefined;
    if (epi) i++;
    plans.push({ node: p.node, pro, epi });
  }
  // a plain sum of an operand the node contracts over the same axes (a bias gradient) joins the node's pass
  for (const sp of [...plans]) {
    if (!('node' in sp) || sp.pro || sp.epi) continue;
    const host = plans.find((h): h is NodePlan => 'node' in h && h !== sp && !h.pro && !h.sum && contractedSumInput(sp.node, h.node) !== undefined) as NodePlan | undefined;
    if (!host) continue;
    host.sum = { node: sp.node, input: contractedSumInput(sp.node, host.node)! };
    plans.splice(plans.indexOf(sp), 1);
  }

  // argument index of each value that lives in memory
  const arg = new Map<Value, number>();
  group.inputs.forEach((v, i) => arg.set(v, i));
  group.outputs.forEach((v, i) => arg.set(v, group.inputs.length + i));
  const temps: { dtype: DType; shape: Dim[] }[] = [];
  const argCount = () => group.inputs.length + group.outputs.length + temps.length;
  const nodesOfPlan = (pl: PassPlan) => ('loop' in pl ? pl.loop.nodes : [...(pl.pro?.nodes ?? []), pl.node, ...(pl.epi?.nodes ?? []), ...(pl.sum ? [pl.sum.node] : [])]);
  const planOf = new Map<Node, number>();
  plans.forEach((pl, i) => nodesOfPlan(pl).forEach((n) => planOf.set(n, i)));
  const passes: WgslPass[] = [];
  plans.forEach((pl, pi) => {
    const nodes = nodesOfPlan(pl);
    const produced = new Set(nodes.flatMap((n) => n.outputs));
    // values this pass writes: group outputs, values later passes read, and the outputs of a lone node
    const writes: Value[] = [];
    for (const v of produced) {
      const later = group.nodes.some((n) => (planOf.get(n) ?? -1) > pi && n.inputs.includes(v));
      const inRegisters = 'loop' in pl || pl.pro?.nodes.includes(v.node) || pl.epi?.nodes.includes(v.node) || (v === pl.node.outputs[0] && pl.epi !== undefined);
      // scratch (a CPU kernel's between-phase value) is written only when a later pass reads it
      if (outputs.has(v) || later || !inRegisters) {
        if (!arg.has(v)) {
          arg.set(v, argCount());
          temps.push({ dtype: v.type.dtype, shape: v.type.shape });
        }
        writes.push(v);
      }
    }
    const reads: Value[] = [];
    // loops write constant fills as literals, so they do not bind them
    const literalOk = (n: Node) => isLoopOp(n);
    for (const n of nodes) for (const v of n.inputs) if (!produced.has(v) && !reads.includes(v) && !(literalOk(n) && fillConstant(v) !== undefined)) reads.push(v);
    // 4. an old value read where its new value is written: read through the output's binding
    const sharedWith = new Map<Value, Value>();
    for (const v of reads) {
      const o = inPlace.get(group.inputs.indexOf(v));
      const w = o === undefined ? undefined : group.outputs[o];
      if (w !== undefined && writes.includes(w) && loopOnly(nodes)) sharedWith.set(v, w);
    }
    const bound = reads.filter((v) => !sharedWith.has(v));
    const inNames = bound.map((_, i) => `in${i}`);
    const outNames = writes.map((_, i) => `out${i}`);
    const nameOf = (v: Value): string => {
      const shared = sharedWith.get(v);
      if (shared) return nameOf(shared);
      const r = bound.indexOf(v);
      if (r >= 0) return inNames[r];
      const w = writes.indexOf(v);
      if (w >= 0) return outNames[w];
      throw new Error(`internal: value ${v.id} has no array in this pass`);
    };
    let k: WgslKernel;
    if ('loop' in pl) {
      k = loopWgsl(pl.loop.nodes, pl.loop.domain, nameOf, writes.filter((v) => produced.has(v)).map((v) => ({ value: v, name: nameOf(v) })));
    } else k = renderFused(pl, nameOf, writes);
    const sub: KernelGroup = { nodes, inputs: bound, outputs: writes };
    // no kernel name in the shader text: identical kernels of different entries share one constant
    const label = plans.length > 1 ? `pass ${pi + 1}/${plans.length}` : '';
    const notes = [...sharedWith.values()].map((w) => `out${writes.indexOf(w)} is updated in place: it holds the old value when the pass starts`);
    passes.push({ ...assemble(label, kernelComment(sub), sub, k, inNames, outNames, notes), reads: bound.map((v) => arg.get(v)!), writes: writes.map((v) => arg.get(v)!) });
  });
  return { name, comment: kernelComment(group), passes, temps };
}

/** A multi-tensor group as its members' passes one after another (arguments renumbered: codegen/cpu/multi.ts). */
function concatMembers(name: string, group: KernelGroup, inPlace: ReadonlyMap<number, number>): WgslKernelSource | undefined {
  const members = group.members!;
  // each member's in-place pairs in its own argument numbering (temps come after every input and output, so none are needed here)
  const argMap = multiArgMap(members.map((m) => ({ ins: m.inputs.length, outs: m.outputs.length, temps: 0 })));
  const memberInPlace = members.map((m, k) => {
    const pairs = new Map<number, number>();
    m.inputs.forEach((_, i) => {
      const o = inPlace.get(argMap(k, i));
      const local = o === undefined ? -1 : m.outputs.findIndex((_v, j) => argMap(k, m.inputs.length + j) === group.inputs.length + o);
      if (local >= 0) pairs.set(i, local);
    });
    return pairs;
  });
  const parts = members.map((m, k) => generateWgslKernel(`${name}_${k}`, m, memberInPlace[k]));
  if (parts.some((p) => !p)) return undefined;
  const map = multiArgMap(members.map((m, k) => ({ ins: m.inputs.length, outs: m.outputs.length, temps: parts[k]!.temps.length })));
  const packed = packedMultiWgsl(group, parts.map((p) => p!.temps.length), inPlace);
  return {
    name,
    comment: kernelComment(group),
    passes: parts.flatMap((p, k) => p!.passes.map((ps) => ({ ...ps, reads: ps.reads.map((a) => map(k, a)), writes: ps.writes.map((a) => map(k, a)) }))),
    temps: parts.flatMap((p) => p!.temps),
    ...(packed ? { packed } : {}),
  };
}

/** The WGSL type of a value in registers (bool is u32 only in storage). */
function wgslLogicalType(dtype: DType): string {
  return dtype === 'bool' ? 'bool' : dtype;
}

/** What ctx.in[0] / ctx.out[0] hold where a loader / epilogue is fused: no array (a renderer that `fuses` never names them; a test checks) */
export const FUSED_INPUT = 'FUSED_INPUT_0';
export const FUSED_OUTPUT = 'FUSED_OUTPUT_0';

/**
 * The renderer context of a node over the arrays `ins` and `outs`; with
 * `fused`, input 0 is read through the fused loader and output 0 written
 * through the fused epilogue (their arrays are not bound: `ins[0]` / `outs[0]`
 * name nothing there).
 */
export function nodeContext(node: Node, ins: string[], outs: string[], fused: { load?: boolean; store?: boolean } = {}): WgslKernelContext {
  return {
    node,
    in: ins,
    out: outs,
    load: (i, index) => (i === 0 && fused.load ? `fused_load(${index})` : `${ins[i]}[${index}]`),
    store: (o, index, value) => (o === 0 && fused.store ? `fused_store(${index}, ${value});` : `${outs[o]}[${index}] = ${value};`),
    inShape: node.inputs.map((v) => v.type.shape.map(wgslDim)),
    outShape: node.outputs.map((v) => v.type.shape.map(wgslDim)),
    inDims: node.inputs.map((v) => v.type.shape),
    outDims: node.outputs.map((v) => v.type.shape),
    inType: node.inputs.map((v) => wgslStorageType(v.type.dtype)),
    outType: node.outputs.map((v) => wgslStorageType(v.type.dtype)),
    attrs: node.attrs,
  };
}

/** A node's own kernel (elementwise generator or the op's renderer). */
function renderNode(ctx: WgslKernelContext): WgslKernel {
  const def = getOp(ctx.node.op);
  if (def.kind === 'elementwise' || def.kind === 'broadcast') return elementwiseWgsl(ctx.node, ctx.in, ctx.out);
  return wgslRenderer(ctx.node.op)!.kernel!(ctx);
}

/** A node pass: the renderer's kernel (its sum too), reading input 0 through the fused loader and writing output 0 through the fused epilogue where the plan has them, plus those two functions. */
function renderFused(pl: NodePlan, nameOf: (v: Value) => string, writes: Value[]): WgslKernel {
  const { node } = pl;
  // input 0 of a fused loader and output 0 of a fused epilogue have no array of their own here
  const ins = node.inputs.map((v, i) => (i === 0 && pl.pro ? FUSED_INPUT : nameOf(v)));
  const outs = node.outputs.map((v, i) => (i === 0 && pl.epi ? FUSED_OUTPUT : nameOf(v)));
  const ctx = nodeContext(node, ins, outs, { load: Boolean(pl.pro), store: Boolean(pl.epi) });
  const k = pl.sum ? wgslRenderer(node.op)!.sum!(ctx, pl.sum.input, nameOf(pl.sum.node.outputs[0])) : renderNode(ctx);
  if (!pl.pro && !pl.epi) return k;
  const decls: string[] = [];
  if (pl.pro) {
    const x = node.inputs[0];
    const { lines, local } = loopLines(pl.pro.nodes, pl.pro.domain, nameOf, writes.filter((v) => pl.pro!.nodes.includes(v.node)).map((v) => ({ value: v, name: nameOf(v) })));
    decls.push(`fn fused_load(idx: u32) -> ${wgslLogicalType(x.type.dtype)} {`, ...lines.map((l) => `  ${l}`), `  return ${local.get(x)};`, `}`);
  }
  if (pl.epi) {
    const y = node.outputs[0];
    const stores = writes.filter((v) => pl.epi!.nodes.includes(v.node)).map((v) => ({ value: v, name: nameOf(v) }));
    const { lines } = loopLines(pl.epi.nodes, pl.epi.domain, nameOf, stores, new Map([[y, 'acc']]));
    if (writes.includes(y)) lines.push(`${nameOf(y)}[idx] = acc;`);
    decls.push(`fn fused_store(idx: u32, acc: ${wgslLogicalType(y.type.dtype)}) {`, ...lines.map((l) => `  ${l}`), `}`);
  }
  return { ...k, decls: [k.decls ?? '', ...decls].filter(Boolean).join('\n') };
}

/** A read of a symbolic dim in shader text: `dims.B` */
const DIMS_REF = /\bdims\.([\p{L}_][\p{L}\p{N}_]*)/gu;

function assemble(name: string, comment: string, group: KernelGroup, k: WgslKernel, inNames: string[], outNames: string[], notes: string[] = []): Omit<WgslPass, 'reads' | 'writes'> {
  const [wx, wy = 1, wz = 1] = k.workgroupSize;
  const text = `${k.decls ?? ''}\n${k.body}`;
  const dims = [...new Set([...text.matchAll(DIMS_REF)].map((m) => m[1]))].sort();
  // the uniform's fields are the dims' names made WGSL identifiers (mangle); `dims` keeps the names the runtime binds
  const fields = new NameTable();
  const field = new Map(dims.map((d) => [d, fields.claim(d)]));
  const rename = (code: string) => code.replace(DIMS_REF, (_, d: string) => `dims.${field.get(d)}`);
  const lines: string[] = [`// ${commentText(`${name ? `${name}: ` : ''}${comment}`)}`];
  group.inputs.forEach((v, i) => lines.push(`// in${i}: ${v.type.dtype}${shapeToString(v.type.shape)}${v.type.dtype === 'bool' ? ' (bool as u32)' : ''}`));
  group.outputs.forEach((v, i) => lines.push(`// out${i}: ${v.type.dtype}${shapeToString(v.type.shape)}${v.type.dtype === 'bool' ? ' (bool as u32)' : ''}`));
  for (const n of notes) lines.push(`// ${commentText(n)}`);
  if (dims.length) lines.push(`struct Dims { ${dims.map((d) => `${field.get(d)}: u32,`).join(' ')} }`);
  let b = 0;
  group.inputs.forEach((v, i) => lines.push(`@group(0) @binding(${b++}) var<storage, read> ${inNames[i]}: array<${wgslStorageType(v.type.dtype)}>;`));
  group.outputs.forEach((v, i) => lines.push(`@group(0) @binding(${b++}) var<storage, read_write> ${outNames[i]}: array<${wgslStorageType(v.type.dtype)}>;`));
  if (dims.length) lines.push(`@group(0) @binding(${b++}) var<uniform> dims: Dims;`);
  if (k.decls) lines.push(rename(k.decls));
  lines.push(
    `@compute @workgroup_size(${wx}, ${wy}, ${wz})`,
    `fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {`,
    `  let wg = wid.x + wid.y * nwg.x;`,
    `  let idx = wg * ${wx * wy * wz}u + li;`,
    ...indent(rename(k.body), '  '),
    `}`,
  );
  return { code: lines.join('\n') + '\n', dims, workgroups: k.workgroups, workgroupSize: [wx, wy, wz] };
}

function indent(body: string, pad: string): string[] {
  const out: string[] = [];
  let depth = 0;
  for (const raw of body.split('\n')) {
    const l = raw.trim();
    if (!l) continue;
    const closes = /^[}\]]/.test(l) ? 1 : 0;
    out.push(pad + '  '.repeat(Math.max(0, depth - closes)) + l);
    depth += (l.match(/\{/g) ?? []).length - (l.match(/\}/g) ?? []).length;
    if (depth < 0) depth = 0;
  }
  return out;
}
