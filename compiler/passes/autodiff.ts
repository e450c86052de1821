/**
 * Reverse-mode automatic differentiation on the graph IR, at compile time.
 *
 * Algorithm:
 * 1. Mark the values that depend on a `wrt` value (forward reachability) and
 *    the values the loss depends on (backward reachability); only nodes in
 *    both carry gradients.
 * 2. Seed d(loss)/d(loss) = 1 (the loss must be a scalar).
 * 3. Visit those nodes in reverse topological order; for each node with an
 *    incoming gradient, ask its registry entry's grad rule for the input
 *    gradients (built from registry ops, broadcasting undone by sum-to-shape)
 *    and accumulate them with `add` when a value has several users.
 * 4. Return the gradient of each `wrt` value (undefined when the loss does
 *    not depend on it).
 *
 * Before:  %2 = matmul(%0 x, %1 w); %3 = reduce_sum(%2); loss = %3
 * After:   ... %4 = const 1; %5 = broadcast_to(%4, [B, 10]);
 *          %6 = matmul(%0, %5, transA); grad(w) = %6
 */
import type { GraphBuilder } from '../builder.js';
import type { Node, Value } from '../ir.js';
import { getOp } from '../ops/index.js';

export function gradients(b: GraphBuilder, loss: Value, wrt: Value[]): Map<Value, Value | undefined> {
  const g = b.graph;
  const nodes = [...g.nodes];
  const dependsOnWrt = new Set<number>(wrt.map((v) => v.id));
  for (const n of nodes) if (n.inputs.some((v) => dependsOnWrt.has(v.id))) for (const o of n.outputs) dependsOnWrt.add(o.id);
  const lossNeeds = new Set<number>([loss.id]);
  const onPath: Node[] = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i];
    if (!n.outputs.some((o) => lossNeeds.has(o.id))) continue;
    for (const v of n.inputs) lossNeeds.add(v.id);
    if (n.outputs.some((o) => dependsOnWrt.has(o.id))) onPath.push(n);
  }
  const grads = new Map<number, Value>();
  const accumulate = (v: Value, d: Value) => {
    const prev = grads.get(v.id);
    grads.set(v.id, prev ? b.add(prev, d) : d);
  };
  grads.set(loss.id, b.fill(1, loss.type.shape));
  for (const n of onPath) {
    const dy = n.outputs.map((o) => grads.get(o.id));
    if (dy.every((d) => d === undefined)) continue;
    const def = getOp(n.op);
    if (!def.grad) continue; // not differentiable: no gradient flows to its inputs
    const prevScope = b.scope;
    b.scope = n.scope ? `${n.scope}.grad` : 'grad';
    b.span = n.span;
    const dx = def.grad({ b, node: n, dy });
    b.scope = prevScope;
    n.inputs.forEach((v, i) => {
      const d = dx[i];
      if (d && dependsOnWrt.has(v.id)) accumulate(v, d);
    });
  }
  return new Map(wrt.map((v) => [v, grads.get(v.id)]));
}
