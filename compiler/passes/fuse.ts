/**
 * Operator fusion: partition a graph's compute nodes into groups, each of
 * which becomes one kernel (one dispatch). Decisions use only the pattern
 * kinds of the op registry (TVM's classes), never op names.
 *
 * Algorithm (one pass in topological order, greedy, like TVM's FuseOps on a
 * graph whose fusable values have a single user):
 * 1. Leaves (input, param, state, const) are never grouped: they are buffers.
 * 2. Injective view ops that only relabel memory (reshape) are 'view' groups:
 *    no kernel, no dispatch.
 * 3. For an elementwise/broadcast node n, each input v produced by a group G
 *    may be absorbed when: v has exactly one user (n), v is not a graph
 *    output or update, v has n's output shape (same iteration domain: no
 *    recomputation), and G is an elementwise chain, the epilogue of an
 *    out-elementwise-fusable op (matmul: bias, activation, residual, scale)
 *    or the epilogue of a reduction. All such groups merge with n.
 * 4. For a reduce node n, elementwise producer groups of its input that meet
 *    the same conditions (with n's input shape as the domain) merge into the
 *    reduction's loader.
 * 5. Everything else starts a new group. Each boundary between groups
 *    records why it exists (`--explain`).
 *
 * Before: matmul → add(bias) → relu → matmul → add → log_softmax
 * After:  group 0 {matmul, add, relu}  group 1 {matmul, add}  group 2 {log_softmax}
 */
import { shapeEq } from '../dims.js';
import type { Graph, Node, Value } from '../ir.js';
import { getOp } from '../ops/index.js';
import { fillConstant } from '../ops/kernel-util.js';
import type { PatternKind } from '../ops/types.js';

export type GroupKind = 'elementwise' | 'epilogue' | 'reduce' | 'view' | 'single' | 'multi';

export interface FusedGroup {
  id: number;
  /** the group's nodes in topological order */
  nodes: Node[];
  /** the op that determines the kernel template (matmul, a reduction, or the last elementwise op) */
  anchor: Node;
  kind: GroupKind;
  /** values read from outside the group */
  inputs: Value[];
  /** values used outside the group (or graph outputs/updates) */
  outputs: Value[];
  /**
   * kind 'multi': the same elementwise update applied to several tensors in
   * one kernel (the optimizer step of every parameter); each member is one
   * such chain, `nodes`/`inputs`/`outputs` are the members' concatenated
   */
  members?: FusedGroup[];
}

export interface Boundary {
  from: number;
  to: number;
  value: Value;
  reason: string;
}

export interface FusionPlan {
  groups: FusedGroup[];
  boundaries: Boundary[];
  /** groups that need a kernel launch (views and leaves excluded) */
  dispatches: number;
}

const LEAVES = new Set(['input', 'param', 'state', 'const']);

function kindOf(n: Node): PatternKind {
  return getOp(n.op).kind;
}

function isView(n: Node): boolean {
  return n.op === 'reshape';
}

/**
 * The most arrays one kernel may read and write (constant fills are literals
 * and do not count). WebGPU guarantees 8 storage buffers per shader stage and
 * desktop adapters offer 10 or more (the webgpu backend asks for the
 * adapter's limit); 10 lets one Adam update read the parameter, its
 * gradient, both moments, the learning rate and the step, and write three.
 */
export const MAX_KERNEL_BUFFERS = 10;

/**
 * The most nodes one vertical group may hold. Real groups have a dozen; the
 * cap keeps a kernel's source small and the pass linear on a chain of
 * thousands of elementwise ops (each merge recounts the group's buffers).
 */
export const MAX_GROUP_NODES = 64;

export function fuseGraph(g: Graph, options: { enabled?: boolean; maxBuffers?: number } = {}): FusionPlan {
  const enabled = options.enabled ?? true;
  const maxBuffers = options.maxBuffers ?? MAX_KERNEL_BUFFERS;
  const users = g.users();
  const roots = new Set(g.roots().map((v) => v.id));
  const fits = (nodes: Node[], copied?: Set<number>) => nodes.length <= MAX_GROUP_NODES && bufferCount(nodes, users, roots, copied) <= maxBuffers;
  const groupOf = new Map<number, FusedGroup>(); // node id -> group
  const groups: FusedGroup[] = [];
  const newGroup = (n: Node, kind: GroupKind): FusedGroup => {
    const grp: FusedGroup = { id: groups.length, nodes: [n], anchor: n, kind, inputs: [], outputs: [] };
    groups.push(grp);
    groupOf.set(n.id, grp);
    return grp;
  };
  const singleUse = (v: Value) => (users.get(v.id)?.length ?? 0) === 1 && !roots.has(v.id);
  const merge = (into: FusedGroup, from: FusedGroup) => {
    if (into === from) return;
    for (const m of from.nodes) groupOf.set(m.id, into);
    into.nodes.push(...from.nodes);
    from.nodes = [];
  };

  // nodes that reach no output or update get no kernel (the pipeline's DCE normally removed them)
  const live = new Set<number>();
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const n = g.nodes[i];
    if (n.outputs.some((o) => roots.has(o.id) || (users.get(o.id) ?? []).some((u) => live.has(u.id)))) live.add(n.id);
  }
  // from here on only live users count (a dead user must not keep a value from fusing)
  for (const [id, list] of users) users.set(id, list.filter((u) => live.has(u.id)));
  for (const n of g.nodes) {
    if (LEAVES.has(n.op) || !live.has(n.id)) continue;
    if (isView(n)) {
      newGroup(n, 'view');
      continue;
    }
    const k = kindOf(n);
    if (!enabled) {
      newGroup(n, k === 'elementwise' || k === 'broadcast' ? 'elementwise' : k === 'reduce' ? 'reduce' : 'single');
      continue;
    }
    if (k === 'elementwise' || k === 'broadcast') {
      const domain = n.outputs[0].type.shape;
      const absorb: FusedGroup[] = [];
      for (const v of n.inputs) {
        const pg = groupOf.get(v.node.id);
        if (!pg || pg.nodes.length === 0) continue;
        if (!singleUse(v) || !shapeEq(v.type.shape, domain)) continue;
        if (pg.kind === 'elementwise' || pg.kind === 'epilogue' || (pg.kind === 'reduce' && v.node === lastNode(pg)) || (pg.kind === 'single' && kindOf(pg.anchor) === 'out-elementwise-fusable')) {
          if (!absorb.includes(pg)) absorb.push(pg);
        }
      }
      // at most one non-elementwise anchor (a matmul or a reduction) per group
      const anchored = absorb.filter((a) => a.kind !== 'elementwise');
      const keep = anchored.length > 1 ? absorb.filter((a) => a.kind === 'elementwise' || a === anchored[0]) : absorb;
      if (keep.length === 0) {
        newGroup(n, 'elementwise');
        continue;
      }
      // drop absorbed groups (elementwise ones first) until the kernel's arrays fit
      while (keep.length && !fits([...keep.flatMap((a) => a.nodes), n])) {
        const i = keep.findIndex((a) => a.kind === 'elementwise');
        keep.splice(i >= 0 ? i : keep.length - 1, 1);
      }
      if (keep.length === 0) {
        newGroup(n, 'elementwise');
        continue;
      }
      const target = keep.find((a) => a.kind !== 'elementwise') ?? keep[0];
      for (const a of keep) merge(target, a);
      target.nodes.push(n);
      groupOf.set(n.id, target);
      if (target.kind === 'single') target.kind = 'epilogue';
      if (target.kind === 'elementwise') target.anchor = n;
      continue;
    }
    if (k === 'reduce') {
      const grp = newGroup(n, 'reduce');
      const v = n.inputs[0];
      const pg = v && groupOf.get(v.node.id);
      if (pg && pg.kind === 'elementwise' && singleUse(v) && fits([...pg.nodes, n])) {
        groups.pop(); // grp, just pushed: n joins its producer's group instead
        pg.nodes.push(n);
        groupOf.set(n.id, pg);
        pg.kind = 'reduce';
        pg.anchor = n;
      }
      continue;
    }
    newGroup(n, 'single');
  }

  if (enabled) {
    mergeMultiUse(groups, groupOf, users, g, fits);
    inlineScalars(groups, groupOf, users, roots, fits);
    mergeContractedSums(groups, groupOf, users, fits, new Map(g.nodes.map((n, i) => [n.id, i])));
  }
  const updated = new Set(g.updates.map((u) => u.value.id));
  const outputIds = new Set(g.outputs.map((o) => o.value.id));
  const position = new Map(g.nodes.map((n, i) => [n, i]));
  for (const grp of groups) grp.nodes.sort((a, b) => position.get(a)! - position.get(b)!);
  const kept = orderGroups(
    groups.filter((grp) => grp.nodes.length > 0),
    g,
  );
  kept.forEach((grp, i) => (grp.id = i));
  const boundaries: Boundary[] = [];
  // a node sits in several groups when a scalar chain was copied into each of its consumers
  const groupsHolding = new Map<Node, FusedGroup[]>();
  for (const grp of kept)
    for (const n of grp.nodes) {
      const list = groupsHolding.get(n);
      if (list) list.push(grp);
      else groupsHolding.set(n, [grp]);
    }
  const fillIo = (grp: FusedGroup) => {
    const inside = new Set(grp.nodes.map((n) => n.id));
    const seenIn = new Set<number>();
    for (const n of grp.nodes)
      for (const v of n.inputs) {
        if (inside.has(v.node.id) || seenIn.has(v.id)) continue;
        seenIn.add(v.id);
        grp.inputs.push(v);
        const from = groupOf.get(v.node.id);
        if (from) boundaries.push({ from: from.id, to: grp.id, value: v, reason: explain(v, from, grp, users, roots) });
      }
    for (const n of grp.nodes)
      for (const o of n.outputs) {
        // a recomputed scalar chain is private to each group that holds a copy
        const elsewhere = (users.get(o.id) ?? []).some((u) => !inside.has(u.id) && !(groupsHolding.get(u) ?? []).some((other) => other !== grp && (groupsHolding.get(n) ?? []).includes(other)));
        if (roots.has(o.id) || elsewhere) grp.outputs.push(o);
      }
  };
  kept.forEach(fillIo);
  const final = enabled ? mergeMultiTensor(kept, updated, outputIds) : kept;
  final.forEach((grp, i) => (grp.id = i));
  return { groups: final, boundaries: enabled ? remapBoundaries(boundaries, kept, final) : boundaries, dispatches: final.filter((grp) => grp.kind !== 'view').length };
}

/**
 * Step 6 (horizontal, multi-tensor): elementwise groups that only write
 * updates (graph updates, no entry outputs) and compute the same chain —
 * same ops, attributes, constants and shared operands, differing only in the
 * per-tensor arrays — become one 'multi' group: one kernel applies the update
 * to every tensor (the optimizer step of all parameters). Members keep their
 * own inputs and outputs; the group goes where its last member was (nothing
 * reads updates, so the order stays valid).
 */
function mergeMultiTensor(groups: FusedGroup[], updated: Set<number>, outputIds: Set<number>): FusedGroup[] {
  const byKey = new Map<string, FusedGroup[]>();
  for (const grp of groups) {
    if (grp.kind !== 'elementwise' || grp.outputs.length === 0) continue;
    if (grp.outputs.some((o) => !updated.has(o.id) || outputIds.has(o.id))) continue;
    // static shapes only: a member's size is part of its kernel
    if (grp.nodes.some((n) => n.outputs.some((o) => o.type.shape.some((d) => typeof d !== 'number')))) continue;
    const key = chainKey(grp);
    const list = byKey.get(key) ?? [];
    list.push(grp);
    byKey.set(key, list);
  }
  const merged = new Map<FusedGroup, FusedGroup>();
  for (const list of byKey.values()) {
    if (list.length < 2) continue;
    const last = list[list.length - 1];
    const multi: FusedGroup = {
      id: -1,
      nodes: list.flatMap((m) => m.nodes),
      anchor: last.anchor,
      kind: 'multi',
      inputs: list.flatMap((m) => m.inputs),
      outputs: list.flatMap((m) => m.outputs),
      members: list,
    };
    for (const m of list) merged.set(m, m === last ? multi : (undefined as unknown as FusedGroup));
  }
  const out: FusedGroup[] = [];
  for (const grp of groups) {
    if (!merged.has(grp)) out.push(grp);
    else if (merged.get(grp)) out.push(merged.get(grp)!);
  }
  return out;
}

/**
 * The shape-free form of an elementwise chain, independent of the order of
 * its nodes: each output as an expression tree of ops and attributes over
 * constant fills (=c), shared operands (@id: scalars read from leaves, e.g.
 * the learning rate) and per-tensor arrays (*k, numbered in the order a
 * left-to-right walk from the outputs meets them).
 */
function chainKey(grp: FusedGroup): string {
  const inside = new Map<number, Node>();
  for (const n of grp.nodes) for (const o of n.outputs) inside.set(o.id, n);
  const perTensor = new Map<number, number>();
  const memo = new Map<number, string>();
  const key = (v: Value): string => {
    const hit = memo.get(v.id);
    if (hit !== undefined) return hit;
    const n = inside.get(v.id);
    let k: string;
    if (n) k = `${n.op}${JSON.stringify(n.attrs)}.${v.index}(${n.inputs.map(key).join(',')})`;
    else {
      const c = fillConstant(v);
      if (c !== undefined && v.type.shape.length === 0) k = `=${c}`;
      else if (v.type.shape.length === 0 && LEAVES.has(v.node.op)) k = `@${v.id}`;
      else {
        if (!perTensor.has(v.id)) perTensor.set(v.id, perTensor.size);
        k = `*${perTensor.get(v.id)}:${v.type.dtype}`;
      }
    }
    memo.set(v.id, k);
    return k;
  };
  const k = grp.outputs.map(key).join(' | ');
  // shared subexpressions repeat in the text: a chain too big to compare this way is not merged
  return k.length > 20000 ? `#unique${grp.id}:${grp.anchor.id}` : k;
}

/** Boundaries between groups renumbered after multi-tensor merging (a boundary into or out of a member points at its multi group). */
function remapBoundaries(bs: Boundary[], before: FusedGroup[], after: FusedGroup[]): Boundary[] {
  const to = new Map<number, number>();
  before.forEach((grp, i) => {
    const j = after.findIndex((a) => a === grp || a.members?.includes(grp));
    to.set(i, j);
  });
  return bs.map((b) => ({ ...b, from: to.get(b.from) ?? b.from, to: to.get(b.to) ?? b.to }));
}

/** The iteration domain of an elementwise or epilogue group: its anchor's output shape. */
function domainOf(grp: FusedGroup) {
  return grp.anchor.outputs[0].type.shape;
}

/**
 * Step 3b: an elementwise group whose every outside user sits in one other
 * elementwise/epilogue group of the same domain merges into it; values that
 * are outputs or updates are still written (a multi-output kernel: one Adam
 * update writes the parameter and both moments).
 */
function mergeMultiUse(groups: FusedGroup[], groupOf: Map<number, FusedGroup>, users: Map<number, Node[]>, g: Graph, fits: (nodes: Node[]) => boolean): void {
  const position = new Map(g.nodes.map((n, i) => [n, i]));
  const idPosition = new Map(g.nodes.map((n, i) => [n.id, i]));
  let changed = true;
  while (changed) {
    changed = false;
    for (const a of groups) {
      if (a.nodes.length === 0 || a.kind !== 'elementwise') continue;
      const inside = new Set(a.nodes.map((n) => n.id));
      const targets = new Set<FusedGroup>();
      for (const n of a.nodes) for (const o of n.outputs) for (const u of users.get(o.id) ?? []) if (!inside.has(u.id)) targets.add(groupOf.get(u.id)!);
      if (targets.size !== 1) continue;
      const [b] = targets;
      if (!b || b === a || (b.kind !== 'elementwise' && b.kind !== 'epilogue')) continue;
      if (!shapeEq(domainOf(a), domainOf(b))) continue;
      if (!fits([...a.nodes, ...b.nodes])) continue;
      // keep the group graph acyclic: nothing in b may reach a, directly or through other groups
      if (reaches(b.nodes, new Set(a.nodes.map((n) => n.id)), users, idPosition)) continue;
      for (const n of a.nodes) groupOf.set(n.id, b);
      b.nodes.push(...a.nodes);
      b.nodes.sort((x, y) => position.get(x)! - position.get(y)!);
      a.nodes = [];
      changed = true;
    }
  }
}

/**
 * Step 3c: elementwise groups over scalars (shape []) — e.g. Adam's bias
 * corrections from the step count, a mean's 1/B — are recomputed inside each
 * consumer (an elementwise chain, an epilogue, or a reduction's loader)
 * instead of being a dispatch of their own.
 */
function inlineScalars(groups: FusedGroup[], groupOf: Map<number, FusedGroup>, users: Map<number, Node[]>, roots: Set<number>, fits: (nodes: Node[], copied?: Set<number>) => boolean): void {
  for (const s of groups) {
    if (s.nodes.length === 0 || s.kind !== 'elementwise' || domainOf(s).length !== 0) continue;
    if (s.nodes.some((n) => n.outputs.some((o) => roots.has(o.id)))) continue;
    // only chains fed by leaves (hyper inputs, constants): recomputing them anywhere keeps the order valid
    const own = new Set(s.nodes.map((n) => n.id));
    if (s.nodes.some((n) => n.inputs.some((v) => !own.has(v.node.id) && !LEAVES.has(v.node.op)))) continue;
    const inside = new Set(s.nodes.map((n) => n.id));
    const consumers = new Set<FusedGroup>();
    for (const n of s.nodes) for (const o of n.outputs) for (const u of users.get(o.id) ?? []) if (!inside.has(u.id)) consumers.add(groupOf.get(u.id)!);
    // each consumer gets its own copy of the chain, which it never writes out; a
    // reduction takes it only into its loader (elementwise users of the scalar)
    const takes = (c: FusedGroup) => {
      if (c.kind === 'elementwise' || c.kind === 'epilogue') return true;
      if (c.kind !== 'reduce') return false;
      const readers = c.nodes.filter((u) => u.inputs.some((v) => inside.has(v.node.id)));
      return readers.every((u) => ['elementwise', 'broadcast'].includes(kindOf(u)) && c.nodes.indexOf(u) < c.nodes.indexOf(c.anchor));
    };
    if ([...consumers].some((c) => !c || !takes(c) || !fits([...s.nodes, ...c.nodes], inside))) continue;
    for (const c of consumers) c.nodes.unshift(...s.nodes.filter((n) => !c.nodes.includes(n)));
    s.nodes = [];
  }
}

/**
 * Step 3d: a group that is only a plain sum (reduce_sum) of a value V joins
 * the kernel of a GEMM-like op that contracts V over exactly the same axes
 * (the registry's `sumOf` and `contracts` traits): a dense or convolution
 * layer's bias gradient is computed by its weight gradient's kernel, as one
 * more row or column of ones.
 */
function mergeContractedSums(groups: FusedGroup[], groupOf: Map<number, FusedGroup>, users: Map<number, Node[]>, fits: (nodes: Node[]) => boolean, position: Map<number, number>): void {
  for (const r of groups) {
    if (r.nodes.length !== 1 || r.kind !== 'reduce') continue;
    const sum = r.nodes[0];
    for (const gNode of users.get(sum.inputs[0].id) ?? []) {
      if (gNode === sum || contractedSumInput(sum, gNode) === undefined) continue;
      const target = groupOf.get(gNode.id);
      if (!target || target.anchor !== gNode || (target.kind !== 'single' && target.kind !== 'epilogue')) continue;
      // the sum must not depend on the GEMM's group, nor the group on the sum
      if (reaches(target.nodes, new Set([sum.id]), users, position) || reaches([sum], new Set(target.nodes.map((n) => n.id)), users, position)) continue;
      if (!fits([...target.nodes, sum])) continue;
      target.nodes.push(sum);
      groupOf.set(sum.id, target);
      r.nodes = [];
      break;
    }
  }
}

/**
 * Which input of `host` the node `sum` adds up, when `sum` is a plain f32 sum
 * (trait `sumOf`) of that input over exactly the axes `host` contracts it
 * over (trait `contracts`, whose kernels write that sum too on every
 * backend); undefined otherwise.
 */
export function contractedSumInput(sum: Node, host: Node): number | undefined {
  const axes = getOp(sum.op).sumOf?.(sum);
  const def = getOp(host.op);
  if (!axes || sum.outputs[0].type.dtype !== 'f32' || !def.contracts) return undefined;
  const v = sum.inputs[0];
  const c = (def.contracts?.(host) ?? []).find((x) => host.inputs[x.input] === v && host.inputs.indexOf(v) === x.input && [...x.axes].sort((a, b) => a - b).join() === axes.join());
  return c?.input;
}

/**
 * Arrays a kernel over `nodes` binds: outside values it reads (constant fills
 * excepted) and values it must write; nodes in `copied` are a private copy
 * (a recomputed scalar chain) whose values are never written.
 */
function bufferCount(nodes: Node[], users: Map<number, Node[]>, roots: Set<number>, copied?: Set<number>): number {
  const inside = new Set(nodes.map((n) => n.id));
  const reads = new Set<number>();
  let writes = 0;
  for (const n of nodes) {
    for (const v of n.inputs) if (!inside.has(v.node.id) && fillConstant(v) === undefined) reads.add(v.id);
    if (copied?.has(n.id)) continue;
    for (const o of n.outputs) if (roots.has(o.id) || (users.get(o.id) ?? []).some((u) => !inside.has(u.id))) writes++;
  }
  return reads.size + writes;
}

/**
 * Whether any path from `from` nodes reaches a node in `targets`. Nodes are in
 * topological order, so a path to a target only passes nodes placed before
 * it: the search never goes past the last target (linear passes on long graphs).
 */
function reaches(from: Node[], targets: Set<number>, users: Map<number, Node[]>, position: Map<number, number>): boolean {
  let last = -1;
  for (const id of targets) last = Math.max(last, position.get(id) ?? Infinity);
  const seen = new Set<number>();
  const stack = [...from];
  while (stack.length) {
    const n = stack.pop()!;
    for (const o of n.outputs)
      for (const u of users.get(o.id) ?? []) {
        if (targets.has(u.id)) return true;
        if (!seen.has(u.id) && (position.get(u.id) ?? Infinity) < last) {
          seen.add(u.id);
          stack.push(u);
        }
      }
  }
  return false;
}

/** Order groups so each comes after the groups it reads from (stable by first node). */
function orderGroups(groups: FusedGroup[], g: Graph): FusedGroup[] {
  const pos = new Map(g.nodes.map((n, i) => [n.id, i]));
  const groupOf = new Map<number, FusedGroup>();
  for (const grp of groups) for (const n of grp.nodes) groupOf.set(n.id, grp);
  const deps = new Map<FusedGroup, Set<FusedGroup>>();
  for (const grp of groups) {
    const d = new Set<FusedGroup>();
    const own = new Set(grp.nodes.map((n) => n.id));
    for (const n of grp.nodes) for (const v of n.inputs) {
      if (own.has(v.node.id)) continue;
      const p = groupOf.get(v.node.id);
      if (p && p !== grp) d.add(p);
    }
    deps.set(grp, d);
  }
  // Kahn's algorithm; among the groups whose producers are placed, the one whose first node comes first
  // groups that start with the same (copied scalar) node keep their order in `groups`
  const index = new Map(groups.map((grp, i) => [grp, i]));
  const before = (a: FusedGroup, b: FusedGroup) => pos.get(a.nodes[0].id)! - pos.get(b.nodes[0].id)! || index.get(a)! - index.get(b)!;
  const waiting = new Map<FusedGroup, number>();
  const readers = new Map<FusedGroup, FusedGroup[]>();
  for (const [grp, d] of deps) {
    waiting.set(grp, d.size);
    for (const p of d) {
      const list = readers.get(p);
      if (list) list.push(grp);
      else readers.set(p, [grp]);
    }
  }
  const ready = new MinHeap<FusedGroup>(before);
  for (const grp of groups) if (waiting.get(grp) === 0) ready.push(grp);
  const out: FusedGroup[] = [];
  while (ready.size) {
    const grp = ready.pop();
    out.push(grp);
    for (const r of readers.get(grp) ?? []) {
      const left = waiting.get(r)! - 1;
      waiting.set(r, left);
      if (left === 0) ready.push(r);
    }
  }
  if (out.length !== groups.length) throw new Error(`internal: fusion produced a cycle between groups in ${g.name}`);
  return out;
}

/** A binary min-heap under a comparison (negative: a comes first). */
class MinHeap<T> {
  private items: T[] = [];
  constructor(private readonly compare: (a: T, b: T) => number) {}

  get size(): number {
    return this.items.length;
  }

  push(x: T): void {
    const a = this.items;
    a.push(x);
    for (let i = a.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (this.compare(a[p], a[i]) <= 0) break;
      [a[p], a[i]] = [a[i], a[p]];
      i = p;
    }
  }

  pop(): T {
    const a = this.items;
    const top = a[0];
    const last = a.pop()!;
    if (a.length) {
      a[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.compare(a[l], a[m]) < 0) m = l;
        if (r < a.length && this.compare(a[r], a[m]) < 0) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
}

function lastNode(grp: FusedGroup): Node {
  return grp.nodes[grp.nodes.length - 1];
}

function explain(v: Value, from: FusedGroup, to: FusedGroup, users: Map<number, Node[]>, roots: Set<number>): string {
  const consumer = to.nodes.find((n) => n.inputs.includes(v))!;
  const ck = getOp(consumer.op).kind;
  const n = users.get(v.id)?.length ?? 0;
  if (from.kind === 'view' || to.kind === 'view') return 'a reshape is a view of its input: no kernel, no copy';
  if (roots.has(v.id)) return 'the value is an entry output or an update, so it must be written to memory';
  if (n > 1) return `the value has ${n} users, so it is computed once and stored`;
  if (ck === 'out-elementwise-fusable') return `${consumer.op} reads its operands in tiles or windows; producers are not inlined into it`;
  if (ck === 'opaque' || ck === 'injective') return `${consumer.op} reads its input in a different order than it is produced`;
  if (ck === 'reduce') return from.kind === 'elementwise' ? 'the reduction already has a loader' : `a ${from.kind} group cannot feed a reduction's loader`;
  if (!shapeEq(v.type.shape, consumer.outputs[0].type.shape)) return `broadcast from [${v.type.shape.join(', ')}] to [${consumer.outputs[0].type.shape.join(', ')}]: fusing would recompute the producer per element`;
  if (from.kind === 'reduce' || from.kind === 'epilogue' || from.kind === 'single') return `the ${from.anchor.op} group already has an epilogue, or ${from.anchor.op} takes none`;
  return 'the groups have different anchors';
}

/** Text form for `dnnc ir --stage fused` (and `--explain`). */
export function printFusion(g: Graph, plan: FusionPlan, explainBoundaries: boolean): string {
  const lines = [`fusion ${g.name}: ${plan.dispatches} dispatches, ${plan.groups.length} groups`];
  for (const grp of plan.groups) {
    const m = grp.members;
    const ops = (m ? m[0].nodes : grp.nodes).map((n) => n.op).join(' → ');
    const scope = m ? `   # ${m.map((x) => x.anchor.scope ?? '?').join(', ')}` : grp.anchor.scope ? `   # ${grp.anchor.scope}` : '';
    lines.push(`  group ${grp.id} [${grp.kind}${m ? ` ×${m.length}` : ''}] ${ops}${scope}`);
    if (explainBoundaries)
      for (const b of plan.boundaries.filter((x) => x.to === grp.id)) lines.push(`    ← group ${b.from} (${b.value.node.op}): ${b.reason}`);
  }
  return lines.join('\n');
}
