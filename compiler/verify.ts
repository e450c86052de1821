/**
 * The IR verifier: run after every pass in tests. Checks that nodes are in
 * topological order, every input is defined before use, ops exist with the
 * right arity and known attributes, stored types equal what the registry
 * infers, and outputs/updates refer to live values. Returns problems as text.
 */
import { dimEq } from './dims.js';
import type { Graph } from './ir.js';
import { getOp, hasOp } from './ops/index.js';

export function verifyGraph(g: Graph): string[] {
  const problems: string[] = [];
  const defined = new Set<number>();
  for (const n of g.nodes) {
    const at = `node ${n.id} (${n.op})`;
    if (!hasOp(n.op)) {
      problems.push(`${at}: unknown op`);
      continue;
    }
    const def = getOp(n.op);
    if (typeof def.arity === 'number' && n.inputs.length !== def.arity) problems.push(`${at}: ${n.inputs.length} inputs, expected ${def.arity}`);
    for (const v of n.inputs) if (!defined.has(v.id)) problems.push(`${at}: input value ${v.id} is used before it is defined`);
    if (def.attrNames) for (const k of Object.keys(n.attrs)) if (!def.attrNames.includes(k)) problems.push(`${at}: unknown attribute '${k}'`);
    try {
      const types = def.infer(
        n.inputs.map((v) => v.type),
        n.attrs,
      );
      if (types.length !== n.outputs.length) problems.push(`${at}: ${n.outputs.length} outputs, the registry infers ${types.length}`);
      types.forEach((t, i) => {
        const o = n.outputs[i];
        if (!o) return;
        if (o.node !== n || o.index !== i) problems.push(`${at}: output ${i} does not point back to its node`);
        if (t.dtype !== o.type.dtype || t.shape.length !== o.type.shape.length || !t.shape.every((d, k) => dimEq(d, o.type.shape[k])))
          problems.push(`${at}: stored type ${o.type.dtype}[${o.type.shape}] differs from inferred ${t.dtype}[${t.shape}]`);
      });
    } catch (e) {
      problems.push(`${at}: shape rule fails: ${(e as Error).message}`);
    }
    for (const o of n.outputs) defined.add(o.id);
  }
  for (const o of g.outputs) if (!defined.has(o.value.id)) problems.push(`output '${o.name}' refers to an undefined value`);
  for (const u of g.updates) if (!defined.has(u.value.id)) problems.push(`update '${u.path}' refers to an undefined value`);
  const names = new Set<string>();
  for (const n of g.nodes)
    if (n.op === 'input') {
      const nm = String(n.attrs.name);
      if (names.has(nm)) problems.push(`input '${nm}' is declared twice`);
      names.add(nm);
    }
  return problems;
}
