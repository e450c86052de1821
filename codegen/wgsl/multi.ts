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
 *  4. In place: a read role whose operand is, in every member, the buffer of
 *     one write role (the parameters, updated in place) is not bound: the
 *     chain reads the old value through that write role's binding. The write
 *     roles updated in place (parameters, moments) share one binding, since
 *     they lie in one buffer (the store arena) and WebGPU refuses overlapping
 *     writable bindings; the table still gives each role its own offsets.
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
export function packedMultiWgsl(group: KernelGroup, tempCounts: number[], inPlace: ReadonlyMap<number, number> = new Map()): WgslPackedPass | undefined {
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
  const allReads = roles[0].reads.map((_, i) => members.map((_m, k) => argOf(k, roles[k].reads[i], false)));
  const writes = roles[0].writes.map((_, i) => members.map((_m, k) => argOf(k, roles[k].writes[i], true)));
  // 4. read role i -> the write role whose buffer it is in every member
  const inputs = group.inputs.length;
  const sharedRole = allReads.map((args) => writes.findIndex((w) => args.every((a, k) => inPlace.get(a) !== undefined && inputs + inPlace.get(a)! === w[k])));
  const boundRoles = allReads.map((_, i) => i).filter((i) => sharedRole[i] < 0);
  const reads = boundRoles.map((i) => allReads[i]);
  const nb = reads.length + writes.length;
  // the write roles updated in place lie in one buffer (the store arena) and WebGPU refuses overlapping
  // writable bindings: they share one binding (of one storage type), each role at its own table offsets
  const inPlaceWrites = [...new Set(sharedRole.filter((j) => j >= 0))].sort((a, b) => a - b);
  const storage = (j: number) => wgslStorageType(roles[0].writes[j].type.dtype);
  const merge = inPlaceWrites.length > 1 && inPlaceWrites.every((j) => storage(j) === storage(inPlaceWrites[0]));
  const writeBinding: number[] = [];
  let nextBinding = reads.length;
  roles[0].writes.forEach((_, j) => {
    const first = merge && inPlaceWrites.includes(j) && j !== inPlaceWrites[0] ? writeBinding[inPlaceWrites[0]] : undefined;
    writeBinding.push(first ?? nextBinding++);
  });
  const outName = (j: number) => `out${writeBinding[j] - reads.length}`;

  // 2. member 0's chain, every access offset by the table
  const m0 = members[0];
  const r0 = roles[0];
  const readName = new Map(r0.reads.map((v, i) => [v, sharedRole[i] >= 0 ? outName(sharedRole[i]) : `in${boundRoles.indexOf(i)}`] as const));
  const base = (v: Value) => {
    const i = r0.reads.indexOf(v);
    if (i < 0) return undefined;
    return sharedRole[i] >= 0 ? `table[t + ${reads.length + sharedRole[i]}u]` : `table[t + ${boundRoles.indexOf(i)}u]`;
  };
  const stores = r0.writes.map((v, i) => ({ value: v, name: outName(i), base: `table[t + ${reads.length + i}u]` }));
  const { lines } = loopLines(m0.nodes, [lengths[0]], (v) => readName.get(v)!, stores, new Map(), base);
  const decl: string[] = [`// ${members.length} tensors in one dispatch: ${m0.nodes.map((n) => n.op).join(' + ')}`];
  const shared = [...new Set(sharedRole.filter((j) => j >= 0))];
  if (shared.length) decl.push(`// updated in place: ${[...new Set(shared.map(outName))].join(', ')} (the old values are there when the dispatch starts)`);
  let b = 0;
  boundRoles.forEach((i, n) => decl.push(`@group(0) @binding(${b++}) var<storage, read> in${n}: array<${wgslStorageType(r0.reads[i].type.dtype)}>;`));
  r0.writes.forEach((v, i) => {
    if (writeBinding[i] === b) decl.push(`@group(0) @binding(${b++}) var<storage, read_write> ${outName(i)}: array<${wgslStorageType(v.type.dtype)}>;`);
  });
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
  const shares = writeBinding.some((w, j) => w !== reads.length + j);
  return { code: code + '\n', reads, writes, lengths, workgroupSize: WG, ...(shares ? { bindings: [...reads.map((_, i) => i), ...writeBinding] } : {}) };
}
