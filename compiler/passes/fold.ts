/**
 * Constant folding.
 *
 * Algorithm: visit nodes in order; a node whose inputs are all constants with
 * static shapes, whose result is small (at most 4096 elements) and that is
 * not a leaf is evaluated with the registry's reference implementation and
 * replaced by a constant (a fill when every element is equal, else data).
 * The operands must be small too: folding materialises them.
 *
 * Before: %1 = const 0.9; %2 = const 1; %3 = sub(%2, %1)
 * After:  %3 = const 0.1
 */
import { isStaticDim } from '../dims.js';
import type { Graph, Node } from '../ir.js';
import { getOp } from '../ops/index.js';
import type { RefTensor } from '../ops/types.js';

const MAX_FOLD = 4096;

export function foldConstants(g: Graph): number {
  let folded = 0;
  for (const n of g.nodes) {
    if (n.inputs.length === 0 || n.outputs.length !== 1) continue;
    if (!n.inputs.every((v) => v.node.op === 'const' && v.type.shape.every(isStaticDim))) continue;
    const out = n.outputs[0];
    if (!out.type.shape.every(isStaticDim)) continue;
    // the operands are materialised too: a sum over a huge constant is left to the backend
    const size = (s: readonly (number | string)[]) => (s as number[]).reduce((a, b) => a * b, 1);
    if (size(out.type.shape) > MAX_FOLD || n.inputs.some((v) => size(v.type.shape) > MAX_FOLD)) continue;
    const def = getOp(n.op);
    let result: RefTensor;
    try {
      const ins = n.inputs.map((v) => getOp('const').reference([], v.node.attrs, {})[0]);
      result = def.reference(ins, n.attrs, {})[0];
    } catch {
      continue; // leave it for the backend
    }
    const data = Array.from(result.data, (x) => (out.type.dtype === 'f32' ? Math.fround(x) : x));
    toConst(n, data, out.type.shape as number[]);
    folded++;
  }
  return folded;
}

function toConst(n: Node, data: number[], shape: number[]): void {
  const dtype = n.outputs[0].type.dtype;
  n.op = 'const';
  n.inputs = [];
  n.attrs = data.every((x) => x === data[0]) && data.length > 0 ? { value: data[0], dtype, shape } : { data, dtype, shape };
}
