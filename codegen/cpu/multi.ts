/**
 * Multi-tensor kernels (fusion kind 'multi'): one kernel applies the same
 * elementwise update to several tensors (every parameter's optimizer step).
 * Each member keeps its own kernel body, specialised to its own sizes; the
 * multi kernel takes the members' arguments one after another:
 *   ins  = member 0's inputs, member 1's inputs, ...
 *   outs = member 0's outputs (and scratch), member 1's outputs, ...
 *   temps (GPU forms) = member 0's temps, member 1's temps, ...
 * The CPU kernel runs the member bodies in turn, each in a block whose
 * array names are renumbered to its arguments; the GPU forms concatenate the
 * members' passes (see multiArgMap), or pack them (codegen/wgsl/multi.ts).
 */
import type { Node, Value } from '../../compiler/ir.js';
import { fillConstant } from '../../compiler/ops/kernel-util.js';
import type { CpuKernelSource, KernelGroup } from './kernel.js';

/** Renumbers a member's argument index (its ins, outs, temps) into the multi kernel's. */
export function multiArgMap(members: { ins: number; outs: number; temps: number }[]): (member: number, arg: number) => number {
  const totalIns = members.reduce((a, m) => a + m.ins, 0);
  const totalOuts = members.reduce((a, m) => a + m.outs, 0);
  const start = members.map((_, k) => ({
    ins: members.slice(0, k).reduce((a, m) => a + m.ins, 0),
    outs: members.slice(0, k).reduce((a, m) => a + m.outs, 0),
    temps: members.slice(0, k).reduce((a, m) => a + m.temps, 0),
  }));
  return (k, a) => {
    const m = members[k];
    if (a < m.ins) return start[k].ins + a;
    if (a < m.ins + m.outs) return totalIns + start[k].outs + (a - m.ins);
    return totalIns + totalOuts + start[k].temps + (a - m.ins - m.outs);
  };
}

/** The CPU multi kernel from its members' kernels (each over `in0..`, `out0..` of its own). */
export function multiCpuKernel(name: string, comment: string, members: CpuKernelSource[]): CpuKernelSource {
  let ins = 0;
  let outs = 0;
  let scratch = 0;
  const blocks = members.map((k, m) => {
    const [i0, o0, s0] = [ins, outs, scratch];
    ins += k.ins.length;
    outs += k.outs.length;
    scratch += k.scratch?.length ?? 0;
    const body = k.body
      .replace(/\bin(\d+)\b/g, (_, d) => `in${i0 + Number(d)}`)
      .replace(/\bout(\d+)\b/g, (_, d) => `out${o0 + Number(d)}`)
      .replace(/\bsc(\d+)\b/g, (_, d) => `sc${s0 + Number(d)}`);
    return `{ // member ${m}: ${k.comment}\n${body}\n}`;
  });
  const decls = members.flatMap((k) => k.scratch ?? []);
  return {
    name,
    comment,
    ins: members.flatMap((k) => k.ins),
    outs: members.flatMap((k) => k.outs),
    body: blocks.join('\n'),
    ...(decls.length ? { scratch: decls } : {}),
  };
}

/**
 * A member's operands by role, in an order that does not depend on the order
 * of its nodes: the arrays it reads (constant fills excluded) as a
 * left-to-right walk from its outputs meets them, and the outputs it writes
 * (scratch excluded). Isomorphic members (the fusion pass's test) list
 * corresponding operands at the same positions.
 */
export function memberRoles(member: KernelGroup): { reads: Value[]; writes: Value[] } {
  const writes = member.outputs.slice(0, member.outputs.length - (member.scratch ?? 0));
  const producer = new Map<Value, Node>();
  for (const n of member.nodes) for (const o of n.outputs) producer.set(o, n);
  const reads: Value[] = [];
  const seen = new Set<Value>();
  const walk = (v: Value) => {
    if (seen.has(v)) return;
    seen.add(v);
    const n = producer.get(v);
    if (n) n.inputs.forEach(walk);
    else if (fillConstant(v) === undefined) reads.push(v);
  };
  writes.forEach(walk);
  return { reads, writes };
}
