/**
 * Layer regions of a graph: the nodes one layer call produced (their scope
 * is the layer's path), with the tensors it owns and its boundary. The
 * exporters rebuild a region as one unit where the target has the layer
 * (an ONNX LayerNormalization or LSTM, a PyTorch module) and emit its ops
 * one by one otherwise.
 *
 * Algorithm:
 * 1. Per layer record, the op nodes whose scope equals the record's path,
 *    and the param/state leaves whose path lies under it.
 * 2. Inputs: values the region's nodes read that come from outside it,
 *    constants excluded (an exporter re-emits those anywhere).
 * 3. Outputs: region values read by nodes outside it, or graph outputs.
 * A region with one output is emitted where its last node stood: every
 * node of the region is an ancestor of that output, so every input exists
 * by then, and every reader of the output comes after it.
 *
 * Common-subexpression elimination merges identical work of two layers:
 * two LSTMs over the same x share the slices of x, two attention layers
 * the arithmetic on one mask. `untangle` first gives each layer its own
 * copy of such nodes (ones that do not depend on the owning layer's
 * weights), on a copy of the graph, so each layer's region is whole again.
 */
import type { LayerRecord } from '../compiler/compiled.js';
import { Graph, type Node, type Value } from '../compiler/ir.js';
import { eliminateDeadCode } from '../compiler/passes/dce.js';

export interface Region {
  layer: LayerRecord;
  /** the layer's op nodes (leaves excluded), in graph order */
  nodes: Node[];
  /** param and state leaves of the layer by their path below the layer: 'weight', 'query.bias', 'running_mean' */
  tensors: Map<string, Node>;
  /** values from outside the layer that its nodes read (constants excluded), in order of first use */
  inputs: Value[];
  /** values of the layer read outside it, or graph outputs */
  outputs: Value[];
}

const TENSOR_LEAVES = new Set(['param', 'state']);

export function findRegions(graph: Graph, layers: readonly LayerRecord[]): Map<string, Region> {
  const byPath = new Map<string, Region>();
  for (const layer of layers) byPath.set(layer.path, { layer, nodes: [], tensors: new Map(), inputs: [], outputs: [] });
  const owner = new Map<Node, Region>();
  for (const n of graph.nodes) {
    if (TENSOR_LEAVES.has(n.op)) {
      const path = String(n.attrs.path);
      const at = path.lastIndexOf('.');
      // the deepest layer whose path is a prefix: 'M.attention_1.query.weight' -> 'M.attention_1'
      for (let cut = at; cut > 0; cut = path.lastIndexOf('.', cut - 1)) {
        const r = byPath.get(path.slice(0, cut));
        if (r) {
          r.tensors.set(path.slice(cut + 1), n);
          owner.set(n, r);
          break;
        }
      }
      continue;
    }
    if (n.op === 'input' || n.op === 'const' || !n.scope) continue;
    const r = byPath.get(n.scope);
    if (!r) continue;
    r.nodes.push(n);
    owner.set(n, r);
  }
  const readers = graph.users();
  const graphOutputs = new Set(graph.outputs.map((o) => o.value.id));
  for (const r of byPath.values()) {
    const seen = new Set<number>();
    for (const n of r.nodes)
      for (const v of n.inputs) {
        if (owner.get(v.node) === r || v.node.op === 'const' || seen.has(v.id)) continue;
        seen.add(v.id);
        r.inputs.push(v);
      }
    for (const n of r.nodes)
      for (const v of n.outputs) if (graphOutputs.has(v.id) || (readers.get(v.id) ?? []).some((u) => owner.get(u) !== r)) r.outputs.push(v);
  }
  return byPath;
}

/** The deepest layer a node belongs to: its scope for ops, the longest path prefix for weights. */
function ownerPath(n: Node, paths: ReadonlySet<string>): string | undefined {
  if (TENSOR_LEAVES.has(n.op)) {
    const path = String(n.attrs.path);
    for (let cut = path.lastIndexOf('.'); cut > 0; cut = path.lastIndexOf('.', cut - 1)) if (paths.has(path.slice(0, cut))) return path.slice(0, cut);
    return undefined;
  }
  return n.op === 'input' || n.op === 'const' || !n.scope || !paths.has(n.scope) ? undefined : n.scope;
}

/**
 * A copy of `graph` where a layer that reads a node of another layer gets
 * its own copy of that node, when the node does not depend on the other
 * layer's weights (work CSE shared between them, not the other layer's
 * result). The copy is made just before its first reader.
 */
export function untangle(graph: Graph, layers: readonly LayerRecord[]): Graph {
  const paths = new Set(layers.map((l) => l.path));
  const owner = new Map<Node, string | undefined>(graph.nodes.map((n) => [n, ownerPath(n, paths)]));
  // does a node depend on weights of its own layer?
  const weighted = new Set<Node>();
  // layers without weights (pools, flatten) are results, never shared work: never copied
  const withWeights = new Set(graph.nodes.filter((n) => TENSOR_LEAVES.has(n.op)).map((n) => owner.get(n)));
  for (const n of graph.nodes) {
    const mine = owner.get(n);
    if (mine === undefined) continue;
    if (TENSOR_LEAVES.has(n.op) || n.inputs.some((v) => owner.get(v.node) === mine && weighted.has(v.node))) weighted.add(n);
  }
  const out = new Graph(graph.name);
  const copy = new Map<number, Value>();
  const clones = new Map<string, Value>();
  const add = (n: Node, inputs: Value[], scope: string | undefined): Value[] => {
    const made = out.addNode(n.op, inputs, { ...n.attrs }, n.outputs.map((v) => ({ dtype: v.type.dtype, shape: [...v.type.shape] })), n.span, scope);
    made.outputs.forEach((v, i) => (v.name = n.outputs[i].name));
    return made.outputs;
  };
  /** value v as read by a node of layer `reader` */
  const read = (v: Value, reader: string | undefined): Value => {
    const p = v.node;
    const from = owner.get(p);
    if (reader === undefined || from === undefined || from === reader || !withWeights.has(from) || TENSOR_LEAVES.has(p.op) || weighted.has(p)) return copy.get(v.id)!;
    const key = `${v.id}@${reader}`;
    let c = clones.get(key);
    if (!c) {
      const outs = add(p, p.inputs.map((x) => read(x, reader)), reader);
      p.outputs.forEach((pv, i) => clones.set(`${pv.id}@${reader}`, outs[i]));
      c = outs[v.index];
    }
    return c;
  };
  for (const n of graph.nodes) {
    const reader = owner.get(n);
    const outs = add(n, n.inputs.map((v) => read(v, TENSOR_LEAVES.has(n.op) ? undefined : reader)), n.scope);
    n.outputs.forEach((v, i) => copy.set(v.id, outs[i]));
  }
  out.outputs = graph.outputs.map((o) => ({ name: o.name, value: copy.get(o.value.id)! }));
  out.limits = graph.limits.map((l) => ({ ...l }));
  out.ranges = graph.ranges.map((r) => ({ ...r }));
  // a node every reader of which got its own copy is dead now
  eliminateDeadCode(out);
  return out;
}
