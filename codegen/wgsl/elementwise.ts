/**
 * WGSL for elementwise and broadcast ops (and fused chains of them over one
 * output domain), from the ops' scalar renderers: one thread per element of the
 * domain, operands found by index math.
 *
 * Algorithm:
 *  1. Pad every buffer operand's shape on the left with 1s to the domain rank.
 *  2. Drop domain dims that are statically 1; per remaining dim, each operand
 *     is `full` (its dim is the domain's) or broadcast (its dim is 1).
 *  3. Merge adjacent dims where every operand has the same pattern (same
 *     shapes: one flat dim, so the operand offset is the thread index).
 *  4. The thread splits its index over the merged dims (% and /) and forms
 *     each operand's offset from the coordinates where it is full.
 *  5. The nodes run in order on locals (`v<id>`); values needed outside are stored.
 *  Bool operands are u32 in storage: loads compare with 0u, stores select 0u/1u.
 *
 * Example: add f32[B, 128], f32[128] -> f32[B, 128]
 *   let n = (dims.B * 128u); if (idx < n) { var c_r = idx; let c1 = c_r % 128u; ...
 *   let a0 = in0[idx]; let a1 = in1[c1]; let v7 = (a0 + a1); out0[idx] = v7; }
 */
import { dimEq, dimMul, dimProduct, type Dim } from '../../compiler/dims.js';
import type { Node, Value } from '../../compiler/ir.js';
import { wgslRenderer } from './renderers.js';
import { fillConstant } from '../../compiler/ops/kernel-util.js';
import { wgslDim, wgslDot, wgslLoad, wgslMul, wgslNum, wgslPerElement, wgslStore, wgslUnravel } from './util.js';
import type { WgslKernel } from './types.js';

/**
 * One shader computing `nodes` (elementwise/broadcast, all with output shape
 * `domain`) in order. `buffer(v)` names the storage array holding v, for
 * values read from outside the chain; `stores` are the values to write, with
 * their arrays.
 */
export function loopWgsl(nodes: Node[], domain: Dim[], buffer: (v: Value) => string, stores: { value: Value; name: string }[]): WgslKernel {
  return wgslPerElement(dimProduct(domain), loopLines(nodes, domain, buffer, stores).lines.join('\n'));
}

/**
 * The statements that compute `nodes` at flat index `idx` of `domain` and
 * store `stores` there; `preset` values are WGSL expressions already in scope
 * (an epilogue's accumulator) instead of loads; `base(v)` / a store's `base`
 * offset an array's index (a tensor inside a packed buffer). Returns the
 * lines and the local holding each computed value.
 */
export function loopLines(
  nodes: Node[],
  domain: Dim[],
  buffer: (v: Value) => string,
  stores: { value: Value; name: string; base?: string }[],
  preset: Map<Value, string> = new Map(),
  base?: (v: Value) => string | undefined,
): { lines: string[]; local: Map<Value, string> } {
  const inside = new Set<Value>(nodes.flatMap((n) => n.outputs));
  const loads: Value[] = [];
  const literals = new Map<Value, string>(preset);
  for (const n of nodes)
    for (const v of n.inputs) {
      if (inside.has(v) || loads.includes(v) || literals.has(v)) continue;
      const c = fillConstant(v);
      // a constant fill is a literal in the shader: no binding
      if (c !== undefined) literals.set(v, wgslNum(c, v.type.dtype));
      else loads.push(v);
    }
  const rank = domain.length;
  const padded = loads.map((v) => [...new Array<Dim>(Math.max(0, rank - v.type.shape.length)).fill(1), ...v.type.shape]);
  type D = { size: Dim; full: boolean[] };
  const dims: D[] = [];
  for (let d = 0; d < rank; d++) {
    const od = domain[d];
    if (dimEq(od, 1)) continue;
    dims.push({ size: od, full: padded.map((p) => !dimEq(p[d], 1)) });
  }
  const merged: D[] = [];
  for (const d of dims) {
    const last = merged[merged.length - 1];
    if (last && last.full.every((x, k) => x === d.full[k])) last.size = dimMul(last.size, d.size);
    else merged.push({ size: d.size, full: [...d.full] });
  }
  const sizes = merged.map((d) => wgslDim(d.size));
  const lines: string[] = [];
  const allFull = (k: number) => merged.every((d) => d.full[k]);
  const needCoords = loads.some((_, k) => !allFull(k));
  const coords = needCoords ? wgslUnravel('idx', sizes, 'c', lines) : [];
  const local = new Map<Value, string>(literals);
  loads.forEach((v, k) => {
    let off: string;
    if (allFull(k)) off = 'idx';
    else {
      const strides = merged.map((_, j) => (merged[j].full[k] ? wgslMul(sizes.slice(j + 1).filter((_s, i) => merged[j + 1 + i].full[k])) : '0u'));
      off = wgslDot(coords, strides);
    }
    const at = base?.(v);
    lines.push(`let a${k} = ${wgslLoad(`${buffer(v)}[${at ? `${at} + ${off}` : off}]`, v.type.dtype)};`);
    local.set(v, `a${k}`);
  });
  for (const n of nodes) {
    const scalar = wgslRenderer(n.op)?.scalar;
    if (!scalar) throw new Error(`internal: op '${n.op}' has no WGSL scalar expression`);
    const expr = scalar(
      n.inputs.map((v) => local.get(v)!),
      n.attrs,
      n.inputs.map((v) => v.type.dtype),
    );
    const name = `v${n.outputs[0].id}`;
    lines.push(`let ${name} = ${expr};`);
    local.set(n.outputs[0], name);
  }
  for (const s of stores) lines.push(`${s.name}[${s.base ? `${s.base} + idx` : 'idx'}] = ${wgslStore(local.get(s.value)!, s.value.type.dtype)};`);
  return { lines, local };
}

/** The kernel of one elementwise/broadcast node. */
export function elementwiseWgsl(node: Node, inNames: string[], outNames: string[]): WgslKernel {
  const names = new Map(node.inputs.map((v, k) => [v, inNames[k]] as const));
  return loopWgsl([node], node.outputs[0].type.shape, (v) => names.get(v)!, [{ value: node.outputs[0], name: outNames[0] }]);
}
