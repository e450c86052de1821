/**
 * The end of operator fusion (see fuse.ts): groups put in an order where
 * each follows the groups it reads, and the plan printed with why each
 * boundary exists (`dnnc compile --fusion --explain`).
 */
import { shapeEq } from '../dims.js';
import type { Graph, Node, Value } from '../ir.js';
import { getOp } from '../ops/index.js';
import type { FusedGroup, FusionPlan } from './fusion-plan.js';

/** Order groups so each comes after the groups it reads from (stable by first node). */
export function orderGroups(groups: FusedGroup[], g: Graph): FusedGroup[] {
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

export function lastNode(grp: FusedGroup): Node {
  return grp.nodes[grp.nodes.length - 1];
}

export function explain(v: Value, from: FusedGroup, to: FusedGroup, users: Map<number, Node[]>, roots: Set<number>): string {
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
