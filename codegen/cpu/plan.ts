/**
 * The CPU plan of one graph (an entry: predict, trainStep or evaluate):
 * buffers, the schedule of kernel calls, and where inputs, outputs and
 * updates live.
 *
 * Algorithm:
 *  1. Keep the nodes that reach an output or update (inputs are all kept:
 *     they are the entry's contract).
 *  2. Views: a reshape's output shares its input's storage (row-major data
 *     does not move); every value maps to a root value that owns storage.
 *  3. Liveness per root: the index of the last step reading any of its
 *     views; outputs and updates live to the end.
 *  4. Walk the nodes in order: inputs, params, state and constants get their
 *     own slots (constants are computed by `once` steps after allocation);
 *     each kernel's outputs take a free temp slot of the same dtype and size
 *     (or a new one); after the step, roots whose last use it was return
 *     their slot to the pool. A kernel never writes a slot it reads, except
 *     in place: the new value of a param or state tensor (an update) goes
 *     into the tensor's own slot when its kernel reads the old value only
 *     elementwise and nothing later reads it (optimizer steps), so the
 *     update needs no temporary and no copy.
 *  5. Kernel scratch (packing panels, float64 accumulators, index tables;
 *     CpuKernelSource.scratch) gets slots of the entry's `scratch` table,
 *     shared by all steps (a step's scratch is dead after it), so a call
 *     allocates nothing.
 *
 * Example (predict of a 784-128-10 MLP):
 *   buffers: b0 x f32[B, 784] (input), b1 dense_1.w (param), ..., b5 t f32[B, 128], ...
 *   steps:   k00_dense_1_matmul(b0, b1 -> b5); k01_dense_1_add(b5, b2 -> b6); ...
 */
import { dimProduct, normDim, shapeEq } from '../../compiler/dims.js';
import type { Graph, Node, Value } from '../../compiler/ir.js';
import type { ProgramBuffer, ProgramEntry, ProgramScratch, ProgramStep } from '../../runtime/program.js';
import { mangle } from '../names.js';
import { fuseGraph } from '../../compiler/passes/fuse.js';
import { generateGroupKernel, groupScratch, isLoopOp, phasesOf } from './group.js';
import { generateKernel, singleNodeGroup, type CpuKernelSource, type KernelGroup, type ScratchDecl } from './kernel.js';
import { memberRoles, multiCpuKernel } from './multi.js';

const LEAVES = new Set(['input', 'param', 'state', 'const']);

export interface CpuEntryPlan {
  /** the entry without its kernel functions (the module emitter or compileKernels supplies them) */
  entry: Omit<ProgramEntry, 'kernels'>;
  kernels: CpuKernelSource[];
  /** per step, the values it reads and writes by name ("x, dense_1.w -> dense_1.matmul"), for comments */
  notes: string[];
  /** per kernel (same order as `kernels`), the group of nodes it computes: other renderers (WGSL) generate from it */
  groups: KernelGroup[];
}

export interface PlanOptions {
  /** reuse temp slots whose values are dead (default true) */
  reuse?: boolean;
  /** fuse nodes into kernel groups (default true; -O0 turns it off) */
  fuse?: boolean;
}

/** true for ops whose output is a view of their input's storage */
function isView(node: Node): boolean {
  return node.op === 'reshape' && node.inputs[0].type.dtype === node.outputs[0].type.dtype;
}

/** `k07_dense_1_matmul`: step index, scope without the model name, op (an identifier through `mangle`). */
export function kernelName(index: number, node: Node): string {
  const scope = node.scope ? node.scope.split('.').slice(1).join('.') || '' : '';
  const parts = [`k${String(index).padStart(2, '0')}`, scope, node.op].filter((p) => p);
  return mangle(parts.join('_')).replace(/_+$/, '');
}

export function planCpuEntry(graph: Graph, options: PlanOptions = {}): CpuEntryPlan {
  const reuse = options.reuse ?? true;
  // fusion stays off by default until every backend renders multi-node groups
  const fusion = fuseGraph(graph, { enabled: options.fuse ?? true });
  // 1. live nodes
  const live = new Set<Node>();
  const stack: Node[] = graph.roots().map((v) => v.node);
  while (stack.length) {
    const n = stack.pop()!;
    if (live.has(n)) continue;
    live.add(n);
    for (const v of n.inputs) stack.push(v.node);
  }
  const leaves = graph.nodes.filter((n) => (live.has(n) && LEAVES.has(n.op)) || n.op === 'input');
  const fused = fusion.groups.filter((grp) => grp.nodes.some((n) => live.has(n)));

  // 2. views
  const root = new Map<Value, Value>();
  const rootOf = (v: Value): Value => root.get(v) ?? v;
  for (const grp of fused) if (grp.kind === 'view' && isView(grp.nodes[0])) root.set(grp.nodes[0].outputs[0], rootOf(grp.nodes[0].inputs[0]));

  // 3. liveness (in group order)
  const lastUse = new Map<Value, number>();
  const pinned = new Set<Value>();
  fused.forEach((grp, idx) => {
    for (const v of grp.inputs) lastUse.set(rootOf(v), idx);
  });
  for (const v of graph.roots()) pinned.add(rootOf(v));

  // 3b. packs: each role of a multi-tensor group whose operands are all temps
  // gets them in one pack, so the GPU can update every tensor in one dispatch
  const packOf = new Map<Value, number>();
  const packSlots = new Set<number>();
  let packs = 0;
  for (const grp of fused) {
    if (!grp.members) continue;
    const roles = grp.members.map((m) => memberRoles({ nodes: m.nodes, inputs: m.inputs, outputs: m.outputs }));
    const positions = [...roles[0].reads.map((_, i) => (r: typeof roles[0]) => r.reads[i]), ...roles[0].writes.map((_, i) => (r: typeof roles[0]) => r.writes[i])];
    for (const at of positions) {
      const vals = roles.map((r) => at(r)).map((v) => v && rootOf(v));
      const temp = (v: Value | undefined) => v !== undefined && !LEAVES.has(v.node.op) && v.type.shape.length > 0 && !packOf.has(v);
      if (!vals.every(temp) || new Set(vals).size !== vals.length) continue;
      for (const v of vals) packOf.set(v!, packs);
      packs++;
    }
  }

  // 4. slots and steps
  const buffers: ProgramBuffer[] = [];
  const slotOf = new Map<Value, number>();
  const pool = new Map<string, number[]>();
  const byRef = new Map<string, number>();
  const steps: ProgramStep[] = [];
  const kernels: CpuKernelSource[] = [];
  const kernelGroups: KernelGroup[] = [];
  const inputs: ProgramEntry['inputs'] = [];
  const notes: string[] = [];
  const nameOf = (v: Value): string => v.name ?? (v.node.op === 'input' ? String(v.node.attrs.name) : v.node.op === 'param' || v.node.op === 'state' ? String(v.node.attrs.path) : valueName(v));
  const sizeKey = (v: Value) => `${v.type.dtype}:${normDim(dimProduct(v.type.shape))}`;
  const newSlot = (b: ProgramBuffer): number => {
    buffers.push(b);
    return buffers.length - 1;
  };
  const slot = (v: Value): number => {
    const s = slotOf.get(rootOf(v));
    if (s === undefined) throw new Error(`internal: value %${v.id} has no buffer`);
    return s;
  };
  const release = (r: Value) => {
    if (!reuse || pinned.has(r)) return;
    const s = slotOf.get(r);
    if (s !== undefined && packSlots.has(s)) return;
    if (s === undefined || buffers[s].kind !== 'temp') return;
    const key = sizeKey(r);
    const list = pool.get(key) ?? [];
    if (!list.includes(s)) list.push(s);
    pool.set(key, list);
  };
  const takeTemp = (v: Value): number => {
    const pk = packOf.get(v);
    if (pk !== undefined) {
      // a pack member: a slot of its own in its pack's buffer, never reused
      const s = newSlot({ dtype: v.type.dtype, shape: v.type.shape, kind: 'temp', name: v.name ?? valueName(v), pack: pk });
      packSlots.add(s);
      slotOf.set(v, s);
      return s;
    }
    const free = pool.get(sizeKey(v));
    const s = reuse && free && free.length ? free.pop()! : newSlot({ dtype: v.type.dtype, shape: v.type.shape, kind: 'temp', name: v.name ?? valueName(v) });
    slotOf.set(v, s);
    return s;
  };
  // 4b. kernel scratch (CpuKernelSource.scratch): dead after its step, so
  // every step draws from the same slots: per dtype, the k-th largest static
  // scratch of a step takes static slot k (grown to the largest size asked);
  // a symbolic size takes a slot of exactly that size not used by the step
  const scratch: ProgramScratch[] = [];
  const staticScratch = new Map<string, number[]>();
  const symbolicScratch = new Map<string, number[]>();
  const takeScratch = (decls: ScratchDecl[] | undefined): { scratch?: number[] } => {
    if (!decls?.length) return {};
    const used = new Set<number>();
    const slots: number[] = new Array(decls.length);
    const order = decls.map((_, i) => i).sort((a, b) => {
      const [x, y] = [decls[a].size, decls[b].size];
      return typeof x === 'number' && typeof y === 'number' ? y - x : typeof x === 'number' ? -1 : typeof y === 'number' ? 1 : 0;
    });
    for (const i of order) {
      const d = decls[i];
      const table = typeof d.size === 'number' ? staticScratch : symbolicScratch;
      const key = typeof d.size === 'number' ? d.dtype : `${d.dtype}:${d.size}`;
      const list = table.get(key) ?? [];
      table.set(key, list);
      let slot = reuse ? list.find((x) => !used.has(x)) : undefined;
      if (slot === undefined) {
        slot = scratch.push({ dtype: d.dtype, size: d.size }) - 1;
        list.push(slot);
      } else if (typeof d.size === 'number') scratch[slot].size = Math.max(scratch[slot].size as number, d.size);
      used.add(slot);
      slots[i] = slot;
    }
    return { scratch: slots };
  };
  // 4c. in-place updates: the new value of a param or state tensor is written
  // straight into its own slot when the kernel computing it reads the old
  // value only elementwise (same index, before it writes it: a loop phase
  // loads its operands, then stores) and nothing after that kernel reads
  // the old value, so no copy follows the step and no temporary holds it
  const updatePath = new Map<Value, string>();
  for (const u of graph.updates) if (!updatePath.has(u.value)) updatePath.set(u.value, u.path);
  const leafOf = new Map<string, Value>();
  for (const n of leaves) if (n.op === 'param' || n.op === 'state') leafOf.set(String(n.attrs.path), n.outputs[0]);
  const inPlaceSlot = (v: Value, nodes: Node[], written: Value[], idx: number): number | undefined => {
    const path = updatePath.get(v);
    const old = path !== undefined ? leafOf.get(path) : undefined;
    if (!old || !reuse || pinned.has(old) || lastUse.get(old) !== idx || root.has(v)) return undefined;
    if (old.type.dtype !== v.type.dtype || normDim(dimProduct(old.type.shape)) !== normDim(dimProduct(v.type.shape))) return undefined;
    if (!nodes.every(isLoopOp)) return undefined;
    const phases = phasesOf(nodes);
    const phaseOf = (n: Node) => phases.findIndex((p) => p.kind === 'loop' && p.nodes.includes(n));
    const writer = nodes.find((n) => n.outputs.includes(v));
    if (!writer || !shapeEq(writer.outputs[0].type.shape, old.type.shape)) return undefined;
    // every reader of the old value: a loop over its own shape (same index), in the writer's phase or before it
    const readers = nodes.filter((n) => n.inputs.includes(old));
    if (!readers.every((n) => shapeEq(n.outputs[0].type.shape, old.type.shape) && phaseOf(n) <= phaseOf(writer))) return undefined;
    // no other value the kernel writes depends on the old value except through the new one (a GPU
    // form computes each written value in a pass of its own, after the new value replaced the old)
    const tainted = new Set<Value>([old]);
    for (const n of nodes) if (n.inputs.some((i) => tainted.has(i))) for (const o of n.outputs) if (o !== v) tainted.add(o);
    if (written.some((w) => w !== v && tainted.has(w))) return undefined;
    return slotOf.get(old);
  };
  const takeOut = (v: Value, nodes: Node[], written: Value[], idx: number): number => {
    const s = inPlaceSlot(v, nodes, written, idx);
    if (s === undefined) return takeTemp(v);
    slotOf.set(v, s);
    return s;
  };
  let kIndex = 0;
  for (const n of leaves) {
    const out = n.outputs[0];
    const a = n.attrs;
    if (n.op === 'input') {
      const s = newSlot({ dtype: out.type.dtype, shape: out.type.shape, kind: 'input', ref: String(a.name), name: String(a.name) });
      slotOf.set(out, s);
      inputs.push({ name: String(a.name), dtype: out.type.dtype, shape: out.type.shape, role: (a.role as 'data' | 'train' | 'hyper') ?? 'data', buffer: s });
    } else if (n.op === 'param' || n.op === 'state') {
      const key = `${n.op}:${a.path}`;
      let s = byRef.get(key);
      if (s === undefined) {
        s = newSlot({ dtype: out.type.dtype, shape: out.type.shape, kind: n.op, ref: String(a.path), name: String(a.path) });
        byRef.set(key, s);
      }
      slotOf.set(out, s);
    } else {
      // constants: computed once, after allocation
      const name = kernelName(kIndex++, n);
      const cg = singleNodeGroup(n);
      const k = generateKernel(name, cg);
      kernels.push(k);
      kernelGroups.push(cg);
      const s = newSlot({ dtype: out.type.dtype, shape: out.type.shape, kind: 'const', name: out.name ?? valueName(out) });
      slotOf.set(out, s);
      steps.push({ kernel: name, ins: [], outs: [s], once: true, ...takeScratch(k.scratch) });
      notes.push(`-> ${nameOf(out)}`);
    }
  }
  fused.forEach((grp, idx) => {
    if (grp.kind === 'view' && isView(grp.nodes[0])) return;
    const name = kernelName(kIndex++, grp.anchor);
    if (grp.members) {
      // one multi-tensor kernel over its members, each with its own arguments
      const members: KernelGroup[] = [];
      const sources: CpuKernelSource[] = [];
      grp.members.forEach((m, k) => {
        const single = m.nodes.length === 1;
        const base: KernelGroup = single ? singleNodeGroup(m.nodes[0]) : { nodes: m.nodes, inputs: m.inputs, outputs: m.outputs };
        const scratch = single ? [] : groupScratch(base);
        members.push(scratch.length ? { ...base, outputs: [...base.outputs, ...scratch], scratch: scratch.length } : base);
        sources.push(single ? generateKernel(`${name}_${k}`, base) : generateGroupKernel(`${name}_${k}`, base, scratch));
      });
      const group: KernelGroup = { nodes: members.flatMap((m) => m.nodes), inputs: members.flatMap((m) => m.inputs), outputs: members.flatMap((m) => m.outputs), members };
      const multi = multiCpuKernel(name, `${members.length} tensors: ${sources[0].comment}`, sources);
      kernels.push(multi);
      kernelGroups.push(group);
      const ins = group.inputs.map(slot);
      const memberOf = new Map<Value, KernelGroup>();
      for (const m of members) for (const v of m.outputs) memberOf.set(v, m);
      const outs = group.outputs.map((v) => takeOut(v, memberOf.get(v)!.nodes, memberOf.get(v)!.outputs, idx));
      steps.push({ kernel: name, ins, outs, ...takeScratch(multi.scratch) });
      notes.push(`${members.length} tensors: ${grp.members.map((m) => m.outputs.map(nameOf).join(', ')).join('; ')}`);
      const written = new Set(grp.outputs);
      for (const v of group.outputs) if (!written.has(v) || lastUse.get(v) === undefined) release(v);
      for (const v of group.inputs) if (lastUse.get(rootOf(v)) === idx) release(rootOf(v));
      return;
    }
    // a single node keeps its own argument order (an input may repeat: mul(y, y)) and all its outputs
    const single = grp.nodes.length === 1;
    const group: KernelGroup = single ? singleNodeGroup(grp.nodes[0]) : { nodes: grp.nodes, inputs: grp.inputs, outputs: grp.outputs };
    const scratch = single ? [] : groupScratch(group);
    const k = single ? generateKernel(name, group) : generateGroupKernel(name, group, scratch);
    kernels.push(k);
    kernelGroups.push(scratch.length ? { ...group, outputs: [...group.outputs, ...scratch], scratch: scratch.length } : group);
    const ins = group.inputs.map(slot);
    const outs = [...group.outputs.map((v) => takeOut(v, group.nodes, [...group.outputs, ...scratch], idx)), ...scratch.map(takeTemp)];
    steps.push({ kernel: name, ins, outs, ...takeScratch(k.scratch) });
    notes.push(`${group.inputs.map(nameOf).join(', ')}${group.inputs.length ? ' ' : ''}-> ${group.outputs.map(nameOf).join(', ')}`);
    // release scratch, dead inputs, and outputs nobody reads
    for (const v of scratch) release(v);
    for (const v of group.inputs) if (lastUse.get(rootOf(v)) === idx) release(rootOf(v));
    for (const v of group.outputs) if (lastUse.get(v) === undefined) release(v);
  });

  const outputs = graph.outputs.map((o) => ({ name: o.name, buffer: slot(o.value), dtype: o.value.type.dtype, shape: o.value.type.shape }));
  const updates = graph.updates.map((u) => ({ path: u.path, buffer: slot(u.value) }));
  return { entry: { buffers, inputs, outputs, updates, steps, ...(scratch.length ? { scratch } : {}) }, kernels, notes, groups: kernelGroups };
}

function valueName(v: Value): string {
  const n = v.node;
  const scope = n.scope ? n.scope.split('.').slice(1).join('.') : '';
  return `${scope ? scope + '.' : ''}${n.op}${n.outputs.length > 1 ? `.${v.index}` : ''}`;
}
