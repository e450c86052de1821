/**
 * CPU kernels for fused groups. A group becomes one kernel made of phases:
 *  - a loop phase: consecutive elementwise/broadcast nodes over one domain,
 *    one fused loop nest; values used only inside it stay in locals
 *    (rounded with Math.fround for f32, so results equal the unfused ones);
 *  - a node phase: one other op (matmul, a reduction, ...) through its
 *    template or cpu snippet, reading and writing buffers.
 * A value that crosses phases and is not a group output lives in a scratch
 * buffer the memory plan allocates for the kernel (appended to `outs`), as
 * does the kernel scratch its node phases ask for (CpuKernelContext.scratch,
 * after those).
 *
 * Example: matmul → add(bias) → relu  =  node phase (matmul into scratch or
 * the output) + one loop phase (add, relu) writing the output.
 */
import { dimToJs, shapeEq, type Dim } from '../../compiler/dims.js';
import type { DType, Node, Value } from '../../compiler/ir.js';
import { getOp } from '../../compiler/ops/index.js';
import { cpuRenderer } from './renderers.js';
import type { CpuKernelContext } from './types.js';
import { fillConstant } from '../../compiler/ops/kernel-util.js';
import { num } from './util.js';
import { fusedLoops } from './elementwise.js';
import { kernelComment, ScratchAlloc, type CpuKernelSource, type KernelGroup } from './kernel.js';
import { cpuSplitTemplates, cpuTemplates } from './templates.js';
import { splitPhaseCondition } from './split.js';

export type Phase = { kind: 'loop'; domain: Dim[]; nodes: Node[] } | { kind: 'node'; node: Node };

export function isLoopOp(n: Node): boolean {
  const k = getOp(n.op).kind;
  return (k === 'elementwise' || k === 'broadcast') && n.outputs.length === 1 && !!cpuRenderer(n.op)?.scalar;
}

export function phasesOf(nodes: Node[]): Phase[] {
  const phases: Phase[] = [];
  for (const n of nodes) {
    const last = phases[phases.length - 1];
    if (isLoopOp(n)) {
      const domain = n.outputs[0].type.shape;
      if (last && last.kind === 'loop' && shapeEq(last.domain, domain)) last.nodes.push(n);
      else phases.push({ kind: 'loop', domain, nodes: [n] });
    } else phases.push({ kind: 'node', node: n });
  }
  return phases;
}

const roundTo = (dtype: DType, expr: string) => (dtype === 'f32' ? `Math.fround(${expr})` : dtype === 'i32' ? `((${expr}) | 0)` : expr);

/** Values of the group that need a buffer although they are not group outputs. */
export function groupScratch(group: KernelGroup): Value[] {
  const phases = phasesOf(group.nodes);
  const phaseOf = new Map<number, number>();
  phases.forEach((p, i) => (p.kind === 'loop' ? p.nodes : [p.node]).forEach((n) => phaseOf.set(n.id, i)));
  const outs = new Set(group.outputs.map((v) => v.id));
  const scratch: Value[] = [];
  phases.forEach((p, i) => {
    const produced = (p.kind === 'loop' ? p.nodes : [p.node]).flatMap((n) => n.outputs);
    for (const v of produced) {
      if (outs.has(v.id)) continue;
      const usedLater = group.nodes.some((n) => (phaseOf.get(n.id) ?? -1) > i && n.inputs.includes(v));
      // a node phase always writes buffers
      if (usedLater || p.kind === 'node') scratch.push(v);
    }
  });
  return scratch;
}

/** The kernel of a fused group: `outs` are the group outputs, then the scratch values. */
export function generateGroupKernel(name: string, group: KernelGroup, scratch: Value[]): CpuKernelSource {
  const phases = phasesOf(group.nodes);
  const buffers = new Map<number, string>();
  group.inputs.forEach((v, i) => buffers.set(v.id, `in${i}`));
  [...group.outputs, ...scratch].forEach((v, i) => buffers.set(v.id, `out${i}`));
  // the one node phase with a split template (a GEMM) makes the kernel a
  // split kernel (codegen/cpu/split.ts): its part 'before' runs the phases
  // before it, 'after' those after it, 'rows' and 'query' only that phase
  const splittable = phases.filter((p) => p.kind === 'node' && cpuSplitTemplates[p.node.op]?.(nodeContext(p.node, buffers, new ScratchAlloc())) !== undefined);
  const alloc = new ScratchAlloc();
  const splitAt = splittable.length === 1 ? phases.indexOf(splittable[0]) : -1;
  const parts: string[] = [];
  phases.forEach((p, i) => {
    let code: string;
    if (p.kind === 'node') code = `{ // ${p.node.op}\n${indent(nodePhase(p.node, buffers, alloc, i === splitAt))}\n}`;
    else code = `{ // ${p.nodes.map((n) => n.op).join(' → ')}\n${indent(loopPhase(p, buffers))}\n}`;
    if (splitAt >= 0) {
      const cond = splitPhaseCondition(i < splitAt ? 'before' : i > splitAt ? 'after' : 'at');
      code = `if (${cond}) ${code}`;
    }
    parts.push(code);
  });
  const all = [...group.outputs, ...scratch];
  return {
    name,
    comment: kernelComment(group),
    ins: group.inputs.map((v) => v.type.dtype),
    outs: all.map((v) => v.type.dtype),
    body: parts.join('\n'),
    ...(splitAt >= 0 ? { split: true } : {}),
    ...alloc.field(),
  };
}

function indent(s: string): string {
  return s
    .split('\n')
    .map((l) => (l ? `  ${l}` : l))
    .join('\n');
}

function nodePhase(node: Node, buffers: Map<number, string>, alloc: ScratchAlloc, split = false): string {
  const ctx = nodeContext(node, buffers, alloc);
  const body = (split ? cpuSplitTemplates[node.op]?.(ctx) : undefined) ?? cpuTemplates[node.op]?.(ctx) ?? cpuRenderer(node.op)?.kernel?.(ctx);
  if (body === undefined) throw new Error(`op '${node.op}' has no CPU kernel`);
  return body;
}

function nodeContext(node: Node, buffers: Map<number, string>, alloc: ScratchAlloc): CpuKernelContext {
  const buf = (v: Value) => {
    const b = buffers.get(v.id);
    if (!b) throw new Error(`internal: no buffer for a value read by ${node.op}`);
    return b;
  };
  const ctx: CpuKernelContext = {
    node,
    in: node.inputs.map(buf),
    out: node.outputs.map(buf),
    inShape: node.inputs.map((v) => v.type.shape.map((d) => dimToJs(d))),
    outShape: node.outputs.map((v) => v.type.shape.map((d) => dimToJs(d))),
    attrs: node.attrs,
    scratch: alloc.take,
  };
  return ctx;
}

function loopPhase(p: Extract<Phase, { kind: 'loop' }>, buffers: Map<number, string>): string {
  const inside = new Set(p.nodes.flatMap((n) => n.outputs.map((o) => o.id)));
  const operands: Value[] = [];
  const literals = new Map<number, string>();
  for (const n of p.nodes)
    for (const v of n.inputs) {
      if (inside.has(v.id) || operands.includes(v) || literals.has(v.id)) continue;
      const c = fillConstant(v);
      // a constant fill is a literal in the loop (rounded as its buffer would store it)
      if (c !== undefined) literals.set(v.id, num(v.type.dtype === 'f32' ? Math.fround(c) : v.type.dtype === 'i32' ? c | 0 : c ? 1 : 0));
      else operands.push(v);
    }
  const written = p.nodes.flatMap((n) => n.outputs).filter((v) => buffers.has(v.id));
  return fusedLoops(
    operands.map((v) => ({ name: buffers.get(v.id)!, shape: v.type.shape })),
    p.domain,
    written.map((v) => ({ name: buffers.get(v.id)!, dtype: v.type.dtype })),
    (args) => {
      const local = new Map<number, string>(literals);
      operands.forEach((v, k) => local.set(v.id, args[k]));
      const stmts: string[] = [];
      for (const n of p.nodes) {
        const expr = cpuRenderer(n.op)!.scalar!(
          n.inputs.map((v) => local.get(v.id)!),
          n.attrs,
        );
        const name = `v${n.outputs[0].id}`;
        stmts.push(`const ${name} = ${roundTo(n.outputs[0].type.dtype, expr)};`);
        local.set(n.outputs[0].id, name);
      }
      return { stmts, results: written.map((v) => local.get(v.id)!) };
    },
  );
}
