/**
 * Shape and type inference: recompute every node's output types from its
 * inputs through the registry's shape rules, in topological order. Lowering
 * infers as it builds; this pass re-derives types after rewrites and is how
 * the pipeline guarantees that stored types are the inferred ones.
 *
 * Algorithm: for each node in order, outputs[i].type = infer(inputs)[i].
 *
 * Before: %3 = add(%1, %2) : f32[?]    After: %3 = add(%1, %2) : f32[B, 10]
 */
import type { Graph } from '../ir.js';
import { getOp } from '../ops/index.js';

export function inferTypes(g: Graph): void {
  for (const n of g.nodes) {
    const types = getOp(n.op).infer(
      n.inputs.map((v) => v.type),
      n.attrs,
    );
    types.forEach((t, i) => {
      if (n.outputs[i]) n.outputs[i].type = t;
    });
  }
}
