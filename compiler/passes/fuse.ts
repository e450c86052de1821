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
import type { Boundary, FusedGroup, FusionPlan, GroupKind } from './fusion-plan.js';
import { bufferCount, inlineScalars, kindOf, LEAVES, mergeContractedSums, mergeMultiTensor, mergeMultiUse, remapBoundaries } from './fuse-groups.js';
import { explain, lastNode, orderGroups } from './fuse-order.js';

export { contractedSumInput } from './fuse-groups.js';
export { printFusion } from './fuse-order.js';

export type { Boundary, FusedGroup, FusionPlan, GroupKind } from './fusion-plan.js';

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

