/**
 * The reference interpreter: evaluates a graph in node order with each op's
 * float64 reference implementation. It is the ground truth for constant
 * folding and for tests (gradient checks, backend comparisons).
 *
 * Leaves: 'input' reads feeds.inputs[attrs.name], 'param' feeds.params[attrs.path],
 * 'state' feeds.state[attrs.path], 'const' its reference. Symbolic dims are
 * taken from feeds.dims, and the rest bound by matching fed input shapes
 * against the declared ones.
 */
import { DIM_NAME, evalShape, type Dim, type DimEnv } from './dims.js';
import type { DType, Graph, Node } from './ir.js';
import { getOp } from './ops/index.js';
import type { RefTensor } from './ops/types.js';

export interface Feeds {
  inputs?: Record<string, RefTensor>;
  params?: Record<string, RefTensor>;
  state?: Record<string, RefTensor>;
  dims?: DimEnv;
}

export interface EvalResult {
  /** graph outputs by name */
  outputs: Record<string, RefTensor>;
  /** new values of param/state tensors by path */
  updates: Record<string, RefTensor>;
  /** every computed value by Value.id */
  values: Map<number, RefTensor>;
}

const SYMBOL = DIM_NAME;

/** Bind symbolic dims by matching fed input shapes against the declared input shapes. */
export function bindDims(graph: Graph, inputs: Record<string, RefTensor>): DimEnv {
  const env: DimEnv = {};
  for (const n of graph.leaves('input')) {
    const t = inputs[n.attrs.name as string];
    if (!t) continue;
    const declared = n.attrs.shape as Dim[];
    if (declared.length !== t.shape.length) continue; // reported by the leaf check
    declared.forEach((d, i) => {
      if (typeof d !== 'string' || !SYMBOL.test(d)) return;
      const have = env[d];
      if (have !== undefined && have !== t.shape[i])
        throw new Error(`input '${String(n.attrs.name)}': dim ${d} is ${t.shape[i]} here but ${have} elsewhere`);
      env[d] = t.shape[i];
    });
  }
  return env;
}

function leafValue(node: Node, feeds: Feeds, dims: DimEnv): RefTensor {
  const key = (node.op === 'input' ? node.attrs.name : node.attrs.path) as string;
  const table = node.op === 'input' ? feeds.inputs : node.op === 'param' ? feeds.params : feeds.state;
  const t = table?.[key];
  if (!t) throw new Error(`evaluate: no value fed for ${node.op} '${key}'`);
  const dtype = node.attrs.dtype as DType;
  const shape = evalShape(node.attrs.shape as Dim[], dims);
  if (t.dtype !== dtype || t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))
    throw new Error(`evaluate: ${node.op} '${key}' is declared ${dtype}[${shape.join(', ')}] but was fed ${t.dtype}[${t.shape.join(', ')}]`);
  const n = t.shape.reduce((a, b) => a * b, 1);
  if (t.data.length !== n) throw new Error(`evaluate: ${node.op} '${key}' has ${t.data.length} elements, expected ${n}`);
  return t;
}

export function evaluate(graph: Graph, feeds: Feeds = {}): EvalResult {
  // explicit dims win; any others are bound from the fed inputs
  const dims = { ...bindDims(graph, feeds.inputs ?? {}), ...feeds.dims };
  const values = new Map<number, RefTensor>();
  for (const node of graph.nodes) {
    let outs: RefTensor[];
    if (node.op === 'input' || node.op === 'param' || node.op === 'state') outs = [leafValue(node, feeds, dims)];
    else {
      const args = node.inputs.map((v) => {
        const t = values.get(v.id);
        if (!t) throw new Error(`evaluate: node ${node.id} (${node.op}) uses value ${v.id} before it is computed`);
        return t;
      });
      outs = getOp(node.op).reference(args, node.attrs, dims);
    }
    if (outs.length !== node.outputs.length)
      throw new Error(`evaluate: '${node.op}' returned ${outs.length} outputs, the node has ${node.outputs.length}`);
    node.outputs.forEach((v, i) => values.set(v.id, outs[i]));
  }
  const get = (id: number, what: string) => {
    const t = values.get(id);
    if (!t) throw new Error(`evaluate: ${what} is not computed by the graph`);
    return t;
  };
  const outputs: Record<string, RefTensor> = {};
  for (const o of graph.outputs) outputs[o.name] = get(o.value.id, `output '${o.name}'`);
  const updates: Record<string, RefTensor> = {};
  for (const u of graph.updates) updates[u.path] = get(u.value.id, `update '${u.path}'`);
  return { outputs, updates, values };
}
