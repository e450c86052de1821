/**
 * The merges of operator fusion after its first pass (see fuse.ts, whose
 * Algorithm comment numbers these steps): groups of one value's several
 * users, scalar producers inlined into their readers, contracted sums folded
 * into their host, and optimizer updates of the same chain made one
 * multi-tensor group; with the buffer counting and reachability they check.
 */
import type { Graph, Node, Value } from '../ir.js';
import { shapeEq } from '../dims.js';
import { getOp } from '../ops/index.js';
import { fillConstant } from '../ops/kernel-util.js';
import type { PatternKind } from '../ops/types.js';
import type { Boundary, FusedGroup } from './fusion-plan.js';

export const LEAVES = new Set(['input', 'param', 'state', 'const']);

export function kindOf(n: Node): PatternKind {
  return getOp(n.op).kind;
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
export function mergeMultiTensor(groups: FusedGroup[], updated: Set<number>, outputIds: Set<number>): FusedGroup[] {
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
export function remapBoundaries(bs: Boundary[], before: FusedGroup[], after: FusedGroup[]): Boundary[] {
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
export function mergeMultiUse(groups: FusedGroup[], groupOf: Map<number, FusedGroup>, users: Map<number, Node[]>, g: Graph, fits: (nodes: Node[]) => boolean): void {
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
export function inlineScalars(groups: FusedGroup[], groupOf: Map<number, FusedGroup>, users: Map<number, Node[]>, roots: Set<number>, fits: (nodes: Node[], copied?: Set<number>) => boolean): void {
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
export function mergeContractedSums(groups: FusedGroup[], groupOf: Map<number, FusedGroup>, users: Map<number, Node[]>, fits: (nodes: Node[]) => boolean, position: Map<number, number>): void {
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
export function bufferCount(nodes: Node[], users: Map<number, Node[]>, roots: Set<number>, copied?: Set<number>): number {
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
export function reaches(from: Node[], targets: Set<number>, users: Map<number, Node[]>, position: Map<number, number>): boolean {
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

