/**
 * Dead-code elimination.
 *
 * Algorithm: mark the values graph outputs and updates need, walking nodes
 * backwards; drop unmarked nodes. Input nodes stay (they are the entry's
 * signature even when unused).
 *
 * Before: %4 = exp(%1) (unused); output y = %3    After: (%4 removed)
 */
import type { Graph } from '../ir.js';

export function eliminateDeadCode(g: Graph): number {
  const live = new Set<number>(g.roots().map((v) => v.id));
  const keep = new Set<number>();
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const n = g.nodes[i];
    if (n.op === 'input' || n.outputs.some((o) => live.has(o.id))) {
      keep.add(n.id);
      for (const v of n.inputs) live.add(v.id);
    }
  }
  const before = g.nodes.length;
  g.nodes = g.nodes.filter((n) => keep.has(n.id));
  return before - g.nodes.length;
}
