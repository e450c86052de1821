/**
 * CPU loops for elementwise and broadcast ops, from the op's scalar expression (codegen/cpu/renderers.ts).
 *
 * Algorithm:
 *  1. Pad every operand shape on the left with 1s to the output rank.
 *  2. Drop output dims that are statically 1. For each remaining dim, each
 *     operand is either `full` (its dim equals the output dim) or `bcast`
 *     (its dim is 1 while the output's is not).
 *  3. Merge adjacent dims where every operand has the same pattern: a
 *     [B, 128] + [128] bias add becomes two dims (B: bcast, 128: full),
 *     same-shape operands become one flat dim.
 *  4. Emit one loop per merged dim. Each operand keeps a base offset that is
 *     advanced only by the dims where it is full (strides computed once at
 *     the top); an operand's load is hoisted out of every inner loop where it
 *     is broadcast (scalars are loaded once, before all loops).
 *  Nothing is allocated and no function is called inside the loops.
 *
 * Example: add f32[B, 128], f32[128] -> f32[B, 128]
 *   const n0 = (dims.B), n1 = 128;
 *   let o = 0;
 *   for (let i0 = 0; i0 < n0; i0++) {
 *     for (let i1 = 0; i1 < n1; i1++) {
 *       const a0 = in0[o]... (see generated code)
 */
import { dimEq, dimMul, dimToJs, type Dim } from '../../compiler/dims.js';
import type { DType, Node } from '../../compiler/ir.js';
import { getOp } from '../../compiler/ops/index.js';
import { cpuRenderer } from './renderers.js';

export interface ScalarOperand {
  /** the JS name of the typed array */
  name: string;
  shape: Dim[];
}

/** Wrap a scalar expression so that storing it into an array of `dtype` is well-typed and exact. */
export function storeExpr(expr: string, dtype: DType): string {
  return dtype === 'bool' ? `((${expr}) ? 1 : 0)` : expr;
}

/**
 * The loop nest computing `out[idx] = f(operands...)` over `outShape`,
 * where `f` maps the names of loaded scalars to a JS expression.
 */
export function broadcastLoops(
  operands: ScalarOperand[],
  out: { name: string; shape: Dim[]; dtype: DType },
  f: (args: string[]) => string,
): string {
  return fusedLoops(operands, out.shape, [{ name: out.name, dtype: out.dtype }], (args) => ({ stmts: [], results: [f(args)] }));
}

/**
 * The loop nest of a fused elementwise chain over `domain`: every operand is
 * loaded (with broadcasting), `body` turns the loaded scalar names into
 * statements and one result expression per output, and the results are
 * stored at the same flat position of each output (all outputs have the
 * domain's shape).
 */
export function fusedLoops(
  operands: ScalarOperand[],
  domain: Dim[],
  outs: { name: string; dtype: DType }[],
  body: (args: string[]) => { stmts: string[]; results: string[] },
): string {
  const out = { shape: domain };
  const rank = out.shape.length;
  const padded = operands.map((o) => [...new Array<Dim>(Math.max(0, rank - o.shape.length)).fill(1), ...o.shape]);
  // 2. classify dims
  type D = { size: Dim; full: boolean[] };
  const dims: D[] = [];
  for (let d = 0; d < rank; d++) {
    const od = out.shape[d];
    if (dimEq(od, 1)) continue;
    dims.push({ size: od, full: padded.map((p) => !dimEq(p[d], 1) || dimEq(od, 1)) });
  }
  // 3. merge adjacent dims with the same pattern
  const merged: D[] = [];
  for (const d of dims) {
    const last = merged[merged.length - 1];
    if (last && last.full.every((x, k) => x === d.full[k])) last.size = dimMul(last.size, d.size);
    else merged.push({ size: d.size, full: [...d.full] });
  }
  const m = merged.length;
  const lines: string[] = [];
  const args = operands.map((_, k) => `a${k}`);
  const stores = (index: string, indent: string): string[] => {
    const { stmts, results } = body(args);
    return [...stmts.map((st) => indent + st), ...outs.map((o, k) => `${indent}${o.name}[${index}] = ${storeExpr(results[k], o.dtype)};`)];
  };
  if (m === 0) {
    operands.forEach((o, k) => lines.push(`const a${k} = ${o.name}[0];`));
    lines.push(...stores('0', ''));
    return lines.join('\n');
  }
  lines.push(`const ${merged.map((d, j) => `n${j} = ${dimToJs(d.size)}`).join(', ')};`);
  // strides: operand k along merged dim j (when full) = product of later dims where k is full
  const stride = (k: number, j: number): string => {
    const later = merged.slice(j + 1).filter((d) => d.full[k]);
    if (later.length === 0) return '1';
    return later.map((_, i) => `n${merged.indexOf(later[i])}`).join(' * ');
  };
  const strideDecls: string[] = [];
  const strideName = (k: number, j: number): string => {
    const s = stride(k, j);
    if (s === '1' || !s.includes('*')) return s;
    const name = `s${k}_${j}`;
    if (!strideDecls.some((l) => l.startsWith(`${name} =`))) strideDecls.push(`${name} = ${s}`);
    return name;
  };
  // last merged dim where each operand is full (-1: a scalar)
  const lastFull = operands.map((_, k) => {
    let l = -1;
    merged.forEach((d, j) => {
      if (d.full[k]) l = j;
    });
    return l;
  });
  const code: string[] = [];
  const base = operands.map(() => '0');
  const ind = (depth: number) => '  '.repeat(depth);
  // loads hoisted before any loop
  operands.forEach((o, k) => {
    if (lastFull[k] === -1) code.push(`const a${k} = ${o.name}[0];`);
  });
  if (m > 1) code.push('let o = 0;');
  for (let j = 0; j < m; j++) {
    const i = `i${j}`;
    const inner = j === m - 1;
    code.push(`${ind(j)}for (let ${i} = 0; ${i} < n${j}; ${i}++) {`);
    const d = ind(j + 1);
    if (!inner) {
      operands.forEach((o, k) => {
        if (!merged[j].full[k]) return;
        const s = strideName(k, j);
        const term = s === '1' ? i : `${i} * ${s}`;
        const next = base[k] === '0' ? term : `${base[k]} + ${term}`;
        code.push(`${d}const p${k}_${j} = ${next};`);
        base[k] = `p${k}_${j}`;
        if (lastFull[k] === j) code.push(`${d}const a${k} = ${o.name}[${base[k]}];`);
      });
    } else {
      operands.forEach((o, k) => {
        if (merged[j].full[k]) code.push(`${d}const a${k} = ${o.name}[${base[k] === '0' ? i : `${base[k]} + ${i}`}];`);
      });
      if (m > 1) {
        code.push(...stores('o', d));
        code.push(`${d}o++;`);
      } else code.push(...stores(i, d));
    }
  }
  for (let j = m - 1; j >= 0; j--) code.push(`${ind(j)}}`);
  if (strideDecls.length) lines.push(`const ${strideDecls.join(', ')};`);
  return [...lines, ...code].join('\n');
}

/** The body of a CPU kernel for one elementwise/broadcast node. */
export function elementwiseBody(node: Node, inNames: string[], outNames: string[]): string {
  const def = getOp(node.op);
  const scalar = cpuRenderer(node.op)?.scalar;
  if (!scalar) throw new Error(`internal: op '${node.op}' is ${def.kind} but has no CPU scalar expression`);
  if (node.outputs.length !== 1) throw new Error(`internal: elementwise op '${node.op}' must have one output`);
  const outV = node.outputs[0];
  return broadcastLoops(
    node.inputs.map((v, k) => ({ name: inNames[k], shape: v.type.shape })),
    { name: outNames[0], shape: outV.type.shape, dtype: outV.type.dtype },
    (args) => scalar(args, node.attrs),
  );
}
