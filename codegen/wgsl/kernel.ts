/**
 * WGSL kernels: one compute shader per kernel group (today one node per
 * group, like the CPU kernels; fusion will hand larger groups).
 *
 * A shader binds, in group 0: `in0..` (storage, read), `out0..` (storage,
 * read_write), then `dims` (uniform struct of the symbolic dims it reads, in
 * sorted order) when it reads any. Storage element types: f32, i32, and u32
 * for bool (one 0/1 per element). Its body comes from
 *   1. the generic elementwise/broadcast generator (op kind elementwise/broadcast, scalarWgsl),
 *   2. the op's own `wgsl(ctx)` renderer (matmul, reductions, shape ops, const).
 * An op with neither has no WGSL kernel: the webgpu backend refuses the model
 * and names the op (see missingKernels).
 */
import { shapeEq, shapeToString, type Dim } from '../../compiler/dims.js';
import type { DType, Node, Value } from '../../compiler/ir.js';
import { getOp } from '../../compiler/ops/index.js';
import { fillConstant, wgslDim, wgslStorageType } from '../../compiler/ops/kernel-util.js';
import type { WgslKernel, WgslKernelContext } from '../../compiler/ops/types.js';
import type { WgslKernelSpec, WgslPass } from '../../runtime/program.js';
import { kernelComment, type KernelGroup } from '../cpu/kernel.js';
import { elementwiseWgsl, loopWgsl } from './elementwise.js';

/** A WGSL kernel ready for the program: name, one-line comment, and the spec the runtime dispatches. */
export interface WgslKernelSource extends WgslKernelSpec {
  name: string;
  comment: string;
}

const isLoopOp = (n: Node): boolean => {
  const d = getOp(n.op);
  return (d.kind === 'elementwise' || d.kind === 'broadcast') && n.outputs.length === 1 && Boolean(d.scalarWgsl);
};

/** true when the op of `opName` has a WGSL renderer. */
export function hasWgsl(opName: string): boolean {
  const def = getOp(opName);
  if (def.kind === 'leaf') return opName === 'const' ? Boolean(def.wgsl) : true;
  return Boolean(((def.kind === 'elementwise' || def.kind === 'broadcast') && def.scalarWgsl) || def.wgsl);
}

type Phase = { loop: true; nodes: Node[]; domain: Dim[] } | { loop: false; node: Node };

/**
 * The WGSL kernel of a group, or undefined when one of its ops has no WGSL
 * renderer. A group becomes one pass per phase: a run of elementwise/broadcast
 * nodes over one domain is one fused shader (intermediates stay in
 * registers); any other node is a pass of its own. Values crossing passes live
 * in the group's outputs (the plan's scratch included) or in temps.
 */
export function generateWgslKernel(name: string, group: KernelGroup): WgslKernelSource | undefined {
  if (!group.nodes.every((n) => hasWgsl(n.op))) return undefined;
  const phases: Phase[] = [];
  for (const n of group.nodes) {
    const last = phases[phases.length - 1];
    if (isLoopOp(n)) {
      const domain = n.outputs[0].type.shape;
      if (last && last.loop && shapeEq(last.domain, domain)) last.nodes.push(n);
      else phases.push({ loop: true, nodes: [n], domain });
    } else phases.push({ loop: false, node: n });
  }
  const nodesOf = (p: Phase) => (p.loop ? p.nodes : [p.node]);
  // argument index of each value that lives in memory
  const arg = new Map<Value, number>();
  group.inputs.forEach((v, i) => arg.set(v, i));
  group.outputs.forEach((v, i) => arg.set(v, group.inputs.length + i));
  const temps: { dtype: DType; shape: Dim[] }[] = [];
  const argCount = () => group.inputs.length + group.outputs.length + temps.length;
  const phaseOf = new Map<Node, number>();
  phases.forEach((p, i) => nodesOf(p).forEach((n) => phaseOf.set(n, i)));
  const passes: WgslPass[] = [];
  phases.forEach((p, pi) => {
    const nodes = nodesOf(p);
    const produced = new Set(nodes.flatMap((n) => n.outputs));
    // values written by this pass: group outputs, values read by later passes, and every output of a node pass
    const writes: Value[] = [];
    for (const v of produced) {
      const later = group.nodes.some((n) => (phaseOf.get(n) ?? -1) > pi && n.inputs.includes(v));
      if (arg.has(v) || later || !p.loop) {
        if (!arg.has(v)) {
          arg.set(v, argCount());
          temps.push({ dtype: v.type.dtype, shape: v.type.shape });
        }
        writes.push(v);
      }
    }
    const reads: Value[] = [];
    // a loop pass writes constant fills as literals, so it does not bind them
    for (const n of nodes) for (const v of n.inputs) if (!produced.has(v) && !reads.includes(v) && !(p.loop && fillConstant(v) !== undefined)) reads.push(v);
    const inNames = reads.map((_, i) => `in${i}`);
    const outNames = writes.map((_, i) => `out${i}`);
    let k: WgslKernel;
    if (p.loop) {
      const rn = new Map(reads.map((v, i) => [v, inNames[i]] as const));
      k = loopWgsl(p.nodes, p.domain, (v) => rn.get(v)!, writes.map((v, i) => ({ value: v, name: outNames[i] })));
    } else {
      const node = p.node;
      const def = getOp(node.op);
      const ins = node.inputs.map((v) => inNames[reads.indexOf(v)]);
      const outs = node.outputs.map((v) => outNames[writes.indexOf(v)]);
      if (isLoopOp(node) || (def.kind === 'elementwise' || def.kind === 'broadcast')) k = elementwiseWgsl(node, ins, outs);
      else {
        const ctx: WgslKernelContext = {
          node,
          in: ins,
          out: outs,
          inShape: node.inputs.map((v) => v.type.shape.map(wgslDim)),
          outShape: node.outputs.map((v) => v.type.shape.map(wgslDim)),
          inDims: node.inputs.map((v) => v.type.shape),
          outDims: node.outputs.map((v) => v.type.shape),
          inType: node.inputs.map((v) => wgslStorageType(v.type.dtype)),
          outType: node.outputs.map((v) => wgslStorageType(v.type.dtype)),
          attrs: node.attrs,
        };
        k = def.wgsl!(ctx);
      }
    }
    const sub: KernelGroup = { nodes, inputs: reads, outputs: writes };
    // no kernel name in the shader text: identical kernels of different entries share one constant
    const label = phases.length > 1 ? `pass ${pi + 1}/${phases.length}` : '';
    passes.push({ ...assemble(label, kernelComment(sub), sub, k, inNames, outNames), reads: reads.map((v) => arg.get(v)!), writes: writes.map((v) => arg.get(v)!) });
  });
  return { name, comment: kernelComment(group), passes, temps };
}

function assemble(name: string, comment: string, group: KernelGroup, k: WgslKernel, inNames: string[], outNames: string[]): Omit<WgslPass, 'reads' | 'writes'> {
  const [wx, wy = 1, wz = 1] = k.workgroupSize;
  const text = `${k.decls ?? ''}\n${k.body}`;
  const dims = [...new Set([...text.matchAll(/\bdims\.([A-Za-z_]\w*)/g)].map((m) => m[1]))].sort();
  const lines: string[] = [`// ${name ? `${name}: ` : ''}${comment}`];
  group.inputs.forEach((v, i) => lines.push(`// in${i}: ${v.type.dtype}${shapeToString(v.type.shape)}${v.type.dtype === 'bool' ? ' (bool as u32)' : ''}`));
  group.outputs.forEach((v, i) => lines.push(`// out${i}: ${v.type.dtype}${shapeToString(v.type.shape)}${v.type.dtype === 'bool' ? ' (bool as u32)' : ''}`));
  if (dims.length) lines.push(`struct Dims { ${dims.map((d) => `${d}: u32,`).join(' ')} }`);
  let b = 0;
  group.inputs.forEach((v, i) => lines.push(`@group(0) @binding(${b++}) var<storage, read> ${inNames[i]}: array<${wgslStorageType(v.type.dtype)}>;`));
  group.outputs.forEach((v, i) => lines.push(`@group(0) @binding(${b++}) var<storage, read_write> ${outNames[i]}: array<${wgslStorageType(v.type.dtype)}>;`));
  if (dims.length) lines.push(`@group(0) @binding(${b++}) var<uniform> dims: Dims;`);
  if (k.decls) lines.push(k.decls);
  lines.push(
    `@compute @workgroup_size(${wx}, ${wy}, ${wz})`,
    `fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {`,
    `  let wg = wid.x + wid.y * nwg.x;`,
    `  let idx = wg * ${wx * wy * wz}u + li;`,
    ...indent(k.body, '  '),
    `}`,
  );
  return { code: lines.join('\n') + '\n', dims, workgroups: k.workgroups, workgroupSize: [wx, wy, wz] };
}

function indent(body: string, pad: string): string[] {
  const out: string[] = [];
  let depth = 0;
  for (const raw of body.split('\n')) {
    const l = raw.trim();
    if (!l) continue;
    const closes = /^[}\]]/.test(l) ? 1 : 0;
    out.push(pad + '  '.repeat(Math.max(0, depth - closes)) + l);
    depth += (l.match(/\{/g) ?? []).length - (l.match(/\}/g) ?? []).length;
    if (depth < 0) depth = 0;
  }
  return out;
}
