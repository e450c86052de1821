/**
 * Common-subexpression elimination.
 *
 * Algorithm: walk nodes in order keeping a table from (op, input value ids,
 * attributes) to the first node that computed it; a later node with the same
 * key has its outputs replaced by the first one's. Leaves are keyed by their
 * attributes (the same param path, the same constant). Inputs are never merged.
 *
 * Before: %3 = const 1; %4 = const 1; %5 = add(%3, %4)
 * After:  %3 = const 1; %5 = add(%3, %3)
 */
import type { Graph, Node, Value } from '../ir.js';

export function eliminateCommonSubexpressions(g: Graph): number {
  const seen = new Map<string, Node>();
  // value -> the earlier value that replaces it; nodes come in topological
  // order, so each node's inputs are rewritten before it is keyed (one pass,
  // linear in the graph, where replacing uses graph-wide per merge is quadratic)
  const replaced = new Map<Value, Value>();
  const current = (v: Value) => replaced.get(v) ?? v;
  let merged = 0;
  const keep: Node[] = [];
  for (const n of g.nodes) {
    if (replaced.size) n.inputs = n.inputs.map(current);
    if (n.op === 'input') {
      keep.push(n);
      continue;
    }
    const key = `${n.op}(${n.inputs.map((v) => v.id).join(',')})${stableAttrs(n.attrs)}`;
    const prev = seen.get(key);
    if (prev && prev.outputs.length === n.outputs.length) {
      n.outputs.forEach((o, i) => replaced.set(o, prev.outputs[i]));
      merged++;
      continue;
    }
    seen.set(key, n);
    keep.push(n);
  }
  g.nodes = keep;
  for (const o of g.outputs) o.value = current(o.value);
  for (const u of g.updates) u.value = current(u.value);
  return merged;
}

function stableAttrs(a: unknown): string {
  if (Array.isArray(a)) return `[${a.map(stableAttrs).join(',')}]`;
  if (a && typeof a === 'object') {
    const o = a as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${k}:${stableAttrs(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(a) ?? 'undefined';
}
