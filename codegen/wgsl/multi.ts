/**
 * The packed WGSL form of a multi-tensor kernel (fusion kind 'multi'): one
 * dispatch updates every member tensor, where the per-member form would take
 * one dispatch per member.
 *
 * Algorithm:
 *  1. Roles: each member's operands in role order (codegen/cpu/multi.ts
 *     memberRoles); role i of every member is one binding. A role whose
 *     operand is the same scalar in every member (the learning rate, the step
 *     count) is shared: its offset is the same for all.
 *  2. The shader is member 0's elementwise chain with every array access
 *     offset by the member's element offset in that binding's buffer, read
 *     from `table[member * bindings + binding]` (the runtime fills the table
 *     from where each argument lies); scalars broadcast (index 0).
 *  3. One thread per element: workgroup y picks the member, x * size + li the
 *     element; threads past a member's length do nothing.
 *
 * Before: 10 dispatches, one Adam update per parameter.
 * After:  1 dispatch; binding 0 holds the 10 gradients (a pack), binding 1
 *         the 10 parameters (the store arena), ...; workgroups (188, 10).
 */
import { dimProduct } from '../../compiler/dims.js';
import type { Value } from '../../compiler/ir.js';
import { getOp } from '../../compiler/ops/index.js';
import { wgslRenderer } from './renderers.js';
import { wgslStorageType } from './util.js';
import type { WgslPackedPass } from '../../runtime/program.js';
import type { KernelGroup } from '../cpu/kernel.js';
import { memberRoles, multiArgMap } from '../cpu/multi.js';
import { loopLines } from './elementwise.js';

const WG = 256;

/** The packed pass of a multi group, or undefined when a member is not a plain elementwise chain over static sizes. */
export function packedMultiWgsl(group: KernelGroup, tempCounts: number[]): WgslPackedPass | undefined {
  const members = group.members;
  if (!members || members.length < 2) return undefined;
  const roles = members.map(memberRoles);
  const lengths: number[] = [];
  for (let k = 0; k < members.length; k++) {
    const m = members[k];
    const out = roles[k].writes[0];
    if (!out) return undefined;
    const len = dimProduct(out.type.shape);
    if (typeof len !== 'number') return undefined;
    // every node elementwise over the member's tensor or a scalar; every operand the member's size or a scalar
    const sizeOk = (v: Value) => v.type.shape.length === 0 || dimProduct(v.type.shape) === len;
    if (!m.nodes.every((n) => { const d = getOp(n.op); return (d.kind === 'elementwise' || d.kind === 'broadcast') && wgslRenderer(n.op)?.scalar && n.outputs.length === 1 && sizeOk(n.outputs[0]); })) return undefined;
    if (![...roles[k].reads, ...roles[k].writes].every(sizeOk)) return undefined;
    if (roles[k].writes.some((v) => v.type.shape.length === 0)) return undefined;
    if (roles[k].reads.length !== roles[0].reads.length || roles[k].writes.length !== roles[0].writes.length) return undefined;
    // a scalar role must be a scalar in every member, a tensor role a tensor
    if (roles[k].reads.some((v, i) => (v.type.shape.length === 0) !== (roles[0].reads[i].type.shape.length === 0) || v.type.dtype !== roles[0].reads[i].type.dtype)) return undefined;
    lengths.push(len);
  }
  const map = multiArgMap(members.map((m, k) => ({ ins: m.inputs.length, outs: m.outputs.length, temps: tempCounts[k] })));
  const argOf = (k: number, v: Value, write: boolean) => {
    const m = members[k];
    const i = write ? m.outputs.indexOf(v) : m.inputs.indexOf(v);
    if (i < 0) throw new Error(`internal: multi-tensor operand %${v.id} is not an argument of member ${k}`);
    return map(k, write ? m.inputs.length + i : i);
  };
  const reads = roles[0].reads.map((_, i) => members.map((_m, k) => argOf(k, roles[k].reads[i], false)));
  const writes = roles[0].writes.map((_, i) => members.map((_m, k) => argOf(k, roles[k].writes[i], true)));
  const nb = reads.length + writes.length;

  // 2. member 0's chain, every access offset by the table
  const m0 = members[0];
  const r0 = roles[0];
  const readName = new Map(r0.reads.map((v, i) => [v, `in${i}`] as const));
  const base = (v: Value) => {
    const i = r0.reads.indexOf(v);
    return i < 0 ? undefined : `table[t + ${i}u]`;
  };
  const stores = r0.writes.map((v, i) => ({ value: v, name: `out${i}`, base: `table[t + ${reads.length + i}u]` }));
  const { lines } = loopLines(m0.nodes, [lengths[0]], (v) => readName.get(v)!, stores, new Map(), base);
  const decl: string[] = [`// ${members.length} tensors in one dispatch: ${m0.nodes.map((n) => n.op).join(' + ')}`];
  let b = 0;
  r0.reads.forEach((v, i) => decl.push(`@group(0) @binding(${b++}) var<storage, read> in${i}: array<${wgslStorageType(v.type.dtype)}>;`));
  r0.writes.forEach((v, i) => decl.push(`@group(0) @binding(${b++}) var<storage, read_write> out${i}: array<${wgslStorageType(v.type.dtype)}>;`));
  decl.push(`@group(0) @binding(${b++}) var<storage, read> table: array<u32>;`);
  decl.push(`const LENGTHS = array<u32, ${lengths.length}>(${lengths.map((n) => `${n}u`).join(', ')});`);
  const code = [
    ...decl,
    `@compute @workgroup_size(${WG}, 1, 1)`,
    `fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {`,
    `  let member = wid.y;`,
    `  let idx = wid.x * ${WG}u + li;`,
    `  if (idx < LENGTHS[member]) {`,
    `    let t = member * ${nb}u;`,
    ...lines.map((l) => `    ${l}`),
    `  }`,
    `}`,
  ].join('\n');
  if (/\bdims\./.test(code)) return undefined;
  return { code: code + '\n', reads, writes, lengths, workgroupSize: WG };
}
