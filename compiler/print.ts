/**
 * A stable text form of a graph: values are renumbered in order, attributes
 * printed sorted, so dumps make good golden files.
 *
 *   graph LoanDefault.predict {
 *     %0 = input "features" : f32[B, 8]
 *     %2 = matmul(%0, %1) {transA: false, transB: false} : f32[B, 32]   # LoanDefault.dense_1
 *     output logits = %5
 *   }
 */
import { shapeToString } from './dims.js';
import type { AttrValue, Graph, Value } from './ir.js';

export function printGraph(g: Graph, options: { spans?: boolean } = {}): string {
  const ids = new Map<number, number>();
  let next = 0;
  const name = (v: Value) => {
    let n = ids.get(v.id);
    if (n === undefined) {
      n = next++;
      ids.set(v.id, n);
    }
    return `%${n}`;
  };
  const lines = [`graph ${g.name} {`];
  for (const n of g.nodes) {
    const outs = n.outputs.map(name).join(', ');
    const types = n.outputs.map((o) => `${o.type.dtype}${shapeToString(o.type.shape)}`).join(', ');
    let head: string;
    const attrs = { ...n.attrs };
    if (n.op === 'input') head = `input "${attrs.name}"${attrs.role !== 'data' ? ` (${attrs.role})` : ''}`;
    else if (n.op === 'param' || n.op === 'state') head = `${n.op} "${attrs.path}" ${fmt(attrs.init)}`;
    else if (n.op === 'const') head = `const ${attrs.data ? fmt(attrs.data) : fmt(attrs.value)}`;
    else {
      const keys = Object.keys(attrs).sort();
      const a = keys.length ? ` {${keys.map((k) => `${k}: ${fmt(attrs[k])}`).join(', ')}}` : '';
      head = `${n.op}(${n.inputs.map(name).join(', ')})${a}`;
    }
    const where = [n.scope, options.spans && n.span ? `@${n.span.line}:${n.span.col}` : undefined].filter(Boolean).join(' ');
    lines.push(`  ${outs} = ${head} : ${types}${where ? `   # ${where}` : ''}`);
  }
  for (const o of g.outputs) lines.push(`  output ${o.name} = ${name(o.value)}`);
  for (const u of g.updates) lines.push(`  update "${u.path}" = ${name(u.value)}`);
  lines.push('}');
  return lines.join('\n');
}

function fmt(v: AttrValue | undefined): string {
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return `[${v.map((x) => fmt(x as AttrValue)).join(', ')}]`;
  if (typeof v === 'object' && v !== null) {
    const keys = Object.keys(v).sort();
    return `{${keys.map((k) => `${k}: ${fmt((v as unknown as Record<string, AttrValue>)[k])}`).join(', ')}}`;
  }
  return typeof v === 'string' ? v : String(v);
}
