/**
 * gpu.js kernels: the same kernel groups as the CPU and WGSL kernels, as
 * gpu.js kernel functions (one output element per thread), for the gpujs
 * backend (WebGL2/WebGL in browsers without WebGPU, headless-gl, and gpu.js's
 * own webgpu, webasm and cpu modes).
 *
 * A group becomes passes, one per buffer written (a gpu.js kernel has one
 * output):
 *   - a loop phase (consecutive elementwise/broadcast nodes over one domain)
 *     gives one pass per value it must store (group outputs and values read
 *     by later phases); each pass evaluates the chain up to that value on
 *     locals, operands found by broadcast index math. Scalar expressions come
 *     from the ops' gpu.js scalar, else their CPU scalar (renderers.ts);
 *   - any other node gives one pass per output, from the op's renderer `kernel(ctx)`.
 * Values crossing phases that are not group outputs live in kernel temps.
 * An op with no renderer has no gpu.js kernel: the group gets none and the
 * gpujs backend refuses the model, naming the op (see missingGpujs).
 *
 * Arithmetic is float on the device (gpu.js textures hold f32): i32 values
 * are exact below 2^24 and bool is 0/1; index math uses gpujsIdiv so it stays
 * exact where GPU division is approximate.
 *
 * Example: add f32[B, 128], f32[128] -> f32[B, 128]
 *   function (in0, in1) { const i = this.thread.x; const cq0 = Math.floor((i + 0.5) / 128);
 *     const c1 = i - cq0 * 128; const a0 = in0[i]; const a1 = in1[c1]; const v7 = (a0 + a1); return v7; }
 */
import { dimEq, dimProduct, shapeEq, type Dim } from '../../compiler/dims.js';
import type { CompiledModel } from '../../compiler/compiled.js';
import type { DType, Graph, Node, Value } from '../../compiler/ir.js';
import { getOp } from '../../compiler/ops/index.js';
import { gpujsRenderer } from './renderers.js';
import { cpuRenderer } from '../cpu/renderers.js';
import { fillConstant } from '../../compiler/ops/kernel-util.js';
import { gpujsDim, gpujsDot, gpujsNum, gpujsStrides, gpujsUnravel } from './util.js';
import type { GpujsKernelContext } from './types.js';
import type { GpujsKernelSpec, GpujsPass } from '../../runtime/program.js';
import type { KernelGroup } from '../cpu/kernel.js';
import { multiArgMap } from '../cpu/multi.js';

/** an elementwise op's scalar expression: gpu.js's own where the JS one uses what gpu.js cannot compile, else the CPU's */
const scalarOf = (op: string) => gpujsRenderer(op)?.scalar ?? cpuRenderer(op)?.scalar;

const isLoopOp = (n: Node): boolean => {
  const d = getOp(n.op);
  return (d.kind === 'elementwise' || d.kind === 'broadcast') && n.outputs.length === 1 && Boolean(scalarOf(n.op));
};

/** true when the op of `opName` has a gpu.js renderer. */
export function hasGpujs(opName: string): boolean {
  const def = getOp(opName);
  if (def.kind === 'leaf') return opName === 'const' ? Boolean(gpujsRenderer(opName)?.kernel) : true;
  return Boolean(((def.kind === 'elementwise' || def.kind === 'broadcast') && scalarOf(opName)) || gpujsRenderer(opName)?.kernel);
}

type Phase = { loop: true; nodes: Node[]; domain: Dim[] } | { loop: false; node: Node };

/**
 * Number literals with more digits than float32 holds, shortened to 9
 * significant digits (the same float32 value): gpu.js passes long literals
 * to GLSL, which rejects them (`0.7978845608028654`: "Integer overflow").
 */
function shortLiterals(src: string): string {
  return src.replace(/(?<![\w.])(\d+\.\d+|\d+(?:\.\d+)?[eE][+-]?\d+)(?![\w.])/g, (m) => {
    const digits = m.replace(/[eE].*$/, '').replace('.', '').replace(/^0+/, '');
    if (digits.length <= 9) return m;
    let s = Math.fround(Number(m)).toPrecision(9);
    if (s.includes('e')) s = s.replace(/\.?0+e/, 'e');
    else if (s.includes('.')) s = s.replace(/\.?0+$/, '');
    return /[.e]/.test(s) ? s : `${s}.0`;
  });
}

function fn(params: string[], body: string): string {
  return `function (${params.join(', ')}) {\nconst i = this.thread.x;\n${shortLiterals(body)}\n}`;
}

/**
 * The gpu.js form of a group, or undefined when one of its ops has no gpu.js
 * renderer. `group.outputs` are the kernel's output arguments (the plan's
 * scratch values included).
 */
export function generateGpujsKernel(group: KernelGroup): GpujsKernelSpec | undefined {
  if (!group.nodes.every((n) => hasGpujs(n.op))) return undefined;
  if (group.members) {
    // a multi-tensor group: its members' passes one after another (arguments renumbered)
    const parts = group.members.map((m) => generateGpujsKernel(m));
    if (parts.some((p) => !p)) return undefined;
    const map = multiArgMap(group.members.map((m, k) => ({ ins: m.inputs.length, outs: m.outputs.length, temps: parts[k]!.temps.length })));
    return {
      passes: parts.flatMap((p, k) => p!.passes.map((ps) => ({ ...ps, reads: ps.reads.map((a) => map(k, a)), write: map(k, ps.write) }))),
      temps: parts.flatMap((p) => p!.temps),
    };
  }
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
  const arg = new Map<Value, number>();
  group.inputs.forEach((v, i) => arg.set(v, i));
  group.outputs.forEach((v, i) => {
    if (!arg.has(v)) arg.set(v, group.inputs.length + i);
  });
  const temps: { dtype: DType; shape: Dim[] }[] = [];
  const argCount = () => group.inputs.length + group.outputs.length + temps.length;
  const phaseOf = new Map<Node, number>();
  phases.forEach((p, i) => nodesOf(p).forEach((n) => phaseOf.set(n, i)));
  const passes: GpujsPass[] = [];
  const argOf = (v: Value): number => {
    const a = arg.get(v);
    if (a === undefined) throw new Error(`internal: gpu.js kernel reads a value with no buffer (op ${v.node.op})`);
    return a;
  };
  phases.forEach((p, pi) => {
    const nodes = nodesOf(p);
    const produced = new Set(nodes.flatMap((n) => n.outputs));
    const writes: Value[] = [];
    for (const v of produced) {
      const later = group.nodes.some((n) => (phaseOf.get(n) ?? -1) > pi && n.inputs.includes(v));
      if (group.outputs.includes(v) || later || !p.loop) {
        if (!arg.has(v)) {
          arg.set(v, argCount());
          temps.push({ dtype: v.type.dtype, shape: v.type.shape });
        }
        writes.push(v);
      }
    }
    if (p.loop) {
      for (const w of writes) passes.push(loopPass(p.nodes, p.domain, w, argOf));
      return;
    }
    const node = p.node;
      const reads: Value[] = [];
    for (const v of node.inputs) if (!reads.includes(v)) reads.push(v);
    const names = reads.map((_, k) => `in${k}`);
    node.outputs.forEach((o, oi) => {
      if (!writes.includes(o)) return;
      const ctx: GpujsKernelContext = {
        node,
        in: node.inputs.map((v) => names[reads.indexOf(v)]),
        out: oi,
        inShape: node.inputs.map((v) => v.type.shape.map(gpujsDim)),
        outShape: node.outputs.map((v) => v.type.shape.map(gpujsDim)),
        inDims: node.inputs.map((v) => v.type.shape),
        outDims: node.outputs.map((v) => v.type.shape),
        inDtype: node.inputs.map((v) => v.type.dtype),
        outDtype: node.outputs.map((v) => v.type.dtype),
        attrs: node.attrs,
      };
      const r = gpujsRenderer(node.op)!.kernel!(ctx);
      const k = typeof r === 'string' ? { body: r } : r;
      const data = k.data ?? [];
      passes.push({
        source: fn([...names, ...data.map((_, j) => `d${j}`)], `// ${node.op}${node.outputs.length > 1 ? ` (output ${oi})` : ''}\n${k.body}`),
        reads: reads.map(argOf),
        write: argOf(o),
        size: dimProduct(o.type.shape),
        ...(data.length ? { data } : {}),
      });
    });
  });
  return { passes, temps };
}

/** One pass of a loop phase: the chain up to `target`, over `domain`. */
function loopPass(chain: Node[], domain: Dim[], target: Value, argOf: (v: Value) => number): GpujsPass {
  // the nodes `target` depends on, in chain order
  const need = new Set<Node>([target.node]);
  for (let k = chain.length - 1; k >= 0; k--) {
    const n = chain[k];
    if (!need.has(n)) continue;
    for (const v of n.inputs) if (chain.includes(v.node)) need.add(v.node);
  }
  const nodes = chain.filter((n) => need.has(n));
  const inside = new Set<Value>(nodes.flatMap((n) => n.outputs));
  const loads: Value[] = [];
  const local = new Map<Value, string>();
  for (const n of nodes)
    for (const v of n.inputs) {
      if (inside.has(v) || loads.includes(v) || local.has(v)) continue;
      const c = fillConstant(v);
      if (c !== undefined) local.set(v, gpujsNum(v.type.dtype === 'f32' ? Math.fround(c) : c, v.type.dtype));
      else loads.push(v);
    }
  const rank = domain.length;
  const padded = loads.map((v) => [...new Array<Dim>(Math.max(0, rank - v.type.shape.length)).fill(1), ...v.type.shape]);
  const full = (k: number) => padded[k].every((d, j) => dimEq(d, domain[j]));
  const lines: string[] = [];
  const coords = loads.some((_, k) => !full(k)) ? gpujsUnravel('i', domain, 'c', lines) : [];
  loads.forEach((v, k) => {
    let off = 'i';
    if (!full(k)) {
      const st = gpujsStrides(padded[k]).map((s, j) => (dimEq(padded[k][j], 1) ? '0' : s));
      off = gpujsDot(coords, st);
    }
    lines.push(`const a${k} = in${k}[${off}];`);
    local.set(v, `a${k}`);
  });
  for (const n of nodes) {
    const expr = scalarOf(n.op)!(
      n.inputs.map((v) => local.get(v)!),
      n.attrs,
      n.inputs.map((v) => v.type.dtype),
    );
    const name = `v${n.outputs[0].id}`;
    lines.push(`const ${name} = ${expr};`);
    local.set(n.outputs[0], name);
  }
  lines.push(`return ${local.get(target)!};`);
  return {
    source: fn(
      loads.map((_, k) => `in${k}`),
      `// ${nodes.map((n) => n.op).join(' → ')}\n${lines.join('\n')}`,
    ),
    reads: loads.map(argOf),
    write: argOf(target),
    size: dimProduct(domain),
  };
}

export interface MissingGpujs {
  op: string;
  count: number;
  scope?: string;
}

/** Ops used by the model's graphs that have no gpu.js kernel; [] when it runs everything. */
export function missingGpujs(model: CompiledModel): MissingGpujs[] {
  const graphs: Graph[] = [model.predict, ...(model.train ? [model.train.step, model.train.evaluate] : [])];
  const found = new Map<string, MissingGpujs>();
  for (const g of graphs)
    for (const n of g.nodes) {
      if (hasGpujs(n.op)) continue;
      const m = found.get(n.op);
      if (m) m.count++;
      else found.set(n.op, { op: n.op, count: 1, ...(n.scope ? { scope: n.scope } : {}) });
    }
  return [...found.values()];
}
