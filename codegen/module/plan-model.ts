/**
 * From a CompiledModel to a program (runtime/program.ts): the CPU plan of
 * each entry, with kernels shared through a pool that de-duplicates
 * identical kernels (the forward kernels of predict, trainStep and evaluate
 * are usually the same code) and keeps names unique within a module.
 */
import type { CompiledModel, TrainerSpec } from '../../compiler/compiled.js';
import type { Program, ProgramEntry, TrainerProgram, TrainerStepProgram } from '../../runtime/program.js';
import type { GpujsKernelSpec, KernelFn, WasmKernelSpec, WasmModuleSpec, WgslKernelSpec } from '../../runtime/program.js';
import { generateWasmKernel, type WasmKernelSource } from '../wasm/kernel.js';
import { buildWasmModule } from '../wasm/module.js';
import { compileKernels, type CpuKernelSource, type KernelGroup } from '../cpu/kernel.js';
import { generateWgslKernel, hasWgsl } from '../wgsl/kernel.js';
import { generateGpujsKernel, hasGpujs } from '../gpujs/kernel.js';
import { planCpuEntry, type PlanOptions } from '../cpu/plan.js';
import type { Graph } from '../../compiler/ir.js';

export type EntryName = 'predict' | 'trainStep' | 'evaluate';
/** an entry without kernel functions; `notes` (not part of the program) name the values each step reads and writes */
export type PlannedEntry = Omit<ProgramEntry, 'kernels'> & { notes?: string[] };
export type PlannedProgram = Omit<Program, 'entries'> & { entries: { predict: PlannedEntry; trainStep?: PlannedEntry; evaluate?: PlannedEntry } };

/**
 * Unique kernels of a module: identical code (CPU and WGSL together) is kept
 * once, distinct code under distinct names. `wgsl` holds the WGSL form of the
 * kernels that have one, under the same names.
 */
export class KernelPool {
  private byCode = new Map<string, CpuKernelSource>();
  private names = new Set<string>();
  readonly kernels: CpuKernelSource[] = [];
  readonly wgsl = new Map<string, WgslKernelSpec>();
  /** the gpu.js form of the kernels that have one, under the same names */
  readonly gpujs = new Map<string, GpujsKernelSpec>();
  /** the wasm form of the CPU kernels that have one, under the same names (exported by the pool's wasm module) */
  readonly wasm = new Map<string, WasmKernelSource>();
  private wasmModule?: { spec: WasmModuleSpec; text: string } | null;

  /** The wasm module of every wasm kernel and its WAT listing (built once, after the last kernel is added); undefined when there is none. */
  wasmModuleSpec(): { spec: WasmModuleSpec; text: string } | undefined {
    if (this.wasmModule === undefined) {
      const built = buildWasmModule([...this.wasm.values()]);
      this.wasmModule = built ? { spec: { bytes: built.bytes, sharedFlagAt: built.sharedFlagAt }, text: built.text } : null;
    }
    return this.wasmModule ?? undefined;
  }

  /**
   * Add a kernel (and its WGSL and gpu.js forms, when it has them, and its
   * wasm form, made under the final name, for `group`); returns the name to call it by.
   */
  add(k0: CpuKernelSource, w0?: WgslKernelSpec, g0?: GpujsKernelSpec, group?: KernelGroup): string {
    // temporaries renumbered per kernel: the same computation at another place of the graph
    // (each step of an unrolled recurrence) is then the same kernel, generated once
    const k = { ...k0, body: canonicalTemps(k0.body) };
    const w = w0 && { ...w0, passes: w0.passes.map((p) => ({ ...p, code: canonicalTemps(p.code) })), ...(w0.packed ? { packed: { ...w0.packed, code: canonicalTemps(w0.packed.code) } } : {}) };
    const g = g0 && { ...g0, passes: g0.passes.map((p) => ({ ...p, source: canonicalTemps(p.source) })) };
    const code = `${k.ins.join(',')}|${k.outs.join(',')}|${JSON.stringify(k.scratch ?? [])}|${k.body}|${w ? JSON.stringify(w) : '-'}|${g ? JSON.stringify(g) : '-'}`;
    const hit = this.byCode.get(code);
    if (hit) return hit.name;
    let name = k.name;
    for (let i = 2; this.names.has(name); i++) name = `${k.name}_${i}`;
    const kernel = { ...k, name };
    this.names.add(name);
    this.byCode.set(code, kernel);
    this.kernels.push(kernel);
    if (w) this.wgsl.set(name, w);
    if (g) this.gpujs.set(name, g);
    const wasm = group && generateWasmKernel(name, group, kernel);
    if (wasm) {
      if (this.wasmModule !== undefined) throw new Error('internal: a wasm kernel was added after the wasm module was built');
      this.wasm.set(name, wasm);
    }
    return name;
  }
}

/**
 * Kernel text with its value temporaries (`v<value id>`) renamed `v0`, `v1`,
 * ... in order of first appearance: a consistent renaming of every such
 * identifier, so the code means the same (property reads such as `dims.v1`
 * are left alone, and `mangle` keeps user names from looking like temporaries).
 */
export function canonicalTemps(text: string): string {
  const names = new Map<string, string>();
  return text.replace(/(?<![.\w$])v\d+\b/g, (v) => {
    let n = names.get(v);
    if (n === undefined) names.set(v, (n = `v${names.size}`));
    return n;
  });
}

/** The WGSL form of a planned kernel: the spec without name and comment (the pool names it). */
function wgslOf(group: KernelGroup, name: string, inPlace: ReadonlyMap<number, number>): WgslKernelSpec | undefined {
  const k = generateWgslKernel(name, group, inPlace);
  return k && { passes: k.passes, temps: k.temps, ...(k.packed ? { packed: k.packed } : {}) };
}

/**
 * The in-place updates of the step that runs kernel `kernel`: its input i and
 * output o in one slot, a param or state tensor (the plan's in-place update),
 * as i -> o. Empty when no step or several steps run it.
 */
function inPlacePairs(entry: Pick<ProgramEntry, 'steps' | 'buffers'>, kernel: string): Map<number, number> {
  const pairs = new Map<number, number>();
  const steps = entry.steps.filter((s) => s.kernel === kernel);
  if (steps.length !== 1) return pairs;
  const { ins, outs } = steps[0];
  ins.forEach((slot, i) => {
    const kind = entry.buffers[slot].kind;
    const o = outs.indexOf(slot);
    if (o >= 0 && (kind === 'param' || kind === 'state')) pairs.set(i, o);
  });
  return pairs;
}

export function signatureOf(model: CompiledModel): Program['signature'] {
  return { inputs: model.inputs, outputs: model.outputs, trainInputs: model.train?.trainInputs ?? [] };
}

/** Plan one entry graph; its kernels go into `pool`. */
export function planEntry(g: Graph, pool: KernelPool, options: PlanOptions = {}): PlannedEntry {
  const plan = planCpuEntry(g, options);
  const missing = new Set<string>();
  const missingGj = new Set<string>();
  const rename = new Map(
    plan.kernels.map((k, i) => {
      const w = wgslOf(plan.groups[i], k.name, inPlacePairs(plan.entry, k.name));
      if (!w) for (const n of plan.groups[i].nodes) if (!hasWgsl(n.op)) missing.add(n.op);
      const g = generateGpujsKernel(plan.groups[i]);
      if (!g) for (const n of plan.groups[i].nodes) if (!hasGpujs(n.op)) missingGj.add(n.op);
      return [k.name, pool.add(k, w, g, plan.groups[i])];
    }),
  );
  const steps = plan.entry.steps.map((s) => ({ ...s, kernel: rename.get(s.kernel)! }));
  return {
    ...plan.entry,
    steps,
    notes: plan.notes,
    ...(g.limits.length ? { limits: g.limits.map((l) => ({ ...l })) } : {}),
    ...(g.ranges.length ? { ranges: g.ranges.map((r) => ({ ...r })) } : {}),
    ...(missing.size ? { wgslMissing: [...missing].sort() } : {}),
    ...(missingGj.size ? { gpujsMissing: [...missingGj].sort() } : {}),
  };
}

/** Plan every entry of a model; kernels go into `pool`. */
export function planModel(model: CompiledModel, pool: KernelPool, options: PlanOptions = {}): PlannedProgram {
  const entry = (g: Graph) => planEntry(g, pool, options);
  const t = model.train;
  return {
    format: 1,
    name: model.name,
    signature: signatureOf(model),
    params: model.params.map((p) => ({ path: p.path, dtype: p.dtype, shape: p.shape, init: p.init })),
    ...(model.state.length ? { state: model.state.map((s) => ({ path: s.path, dtype: s.dtype, shape: s.shape, init: s.init })) } : {}),
    entries: {
      predict: entry(model.predict),
      ...(t ? { trainStep: entry(t.step), evaluate: entry(t.evaluate) } : {}),
    },
    ...(t
      ? {
          train: {
            optimizer: t.optimizer,
            schedule: t.schedule,
            batch: t.batch,
            epochs: t.epochs,
            metrics: t.metrics.map((m) => m.name),
            state: t.state.map((s) => ({ path: s.path, dtype: s.dtype, shape: s.shape, init: s.init })),
            ...(t.data ? { data: t.data } : {}),
            ...(t.validate ? { validate: t.validate } : {}),
    ...(t.test ? { test: t.test } : {}),
            ...(t.test ? { test: t.test } : {}),
            ...(t.seed !== undefined ? { seed: t.seed } : {}),
          },
        }
      : {}),
  };
}

export type PlannedTrainer = Omit<TrainerProgram, 'models' | 'steps'> & {
  models: PlannedProgram[];
  steps: (Omit<TrainerStepProgram, 'entry'> & { entry: PlannedEntry })[];
};

/** Plan a trainer: each model's predict entry and each step's entry; kernels go into `pool`. */
export function planTrainer(t: TrainerSpec, models: CompiledModel[], pool: KernelPool, options: PlanOptions = {}): PlannedTrainer {
  const used = t.models.map((name) => {
    const m = models.find((x) => x.name === name);
    if (!m) throw new Error(`internal: trainer '${t.name}' names unknown model '${name}'`);
    return planModel({ ...m, train: undefined }, pool, options);
  });
  return {
    format: 1,
    kind: 'trainer',
    name: t.name,
    models: used,
    steps: t.steps.map((st) => ({
      name: st.name,
      entry: planEntry(st.graph, pool, options),
      trains: st.trains,
      inputs: st.inputs,
      optimizer: st.optimizer,
      schedule: st.schedule,
      state: st.state.map((s) => ({ path: s.path, dtype: s.dtype, shape: s.shape, init: s.init })),
      metrics: st.metrics.map((m) => m.name),
    })),
    syncs: t.syncs,
    batch: t.batch,
    epochs: t.epochs,
    ...(t.data ? { data: t.data } : {}),
    ...(t.validate ? { validate: t.validate } : {}),
    ...(t.test ? { test: t.test } : {}),
    ...(t.seed !== undefined ? { seed: t.seed } : {}),
  };
}

/** Attach compiled kernels (and the WGSL, gpu.js and wasm forms) to a planned entry. */
function entryWithKernels(pool: KernelPool, fns: Record<string, KernelFn>, { notes: _notes, ...e }: PlannedEntry): ProgramEntry {
  const kernels: Record<string, KernelFn> = {};
  const wgsl: Record<string, WgslKernelSpec> = {};
  const gpujs: Record<string, GpujsKernelSpec> = {};
  const wasm: Record<string, WasmKernelSpec> = {};
  for (const s of e.steps) {
    kernels[s.kernel] = fns[s.kernel];
    const w = pool.wgsl.get(s.kernel);
    if (w) wgsl[s.kernel] = w;
    const g = pool.gpujs.get(s.kernel);
    if (g) gpujs[s.kernel] = g;
    const m = pool.wasm.get(s.kernel);
    if (m) wasm[s.kernel] = m.spec;
  }
  const module = pool.wasmModuleSpec();
  return { ...e, kernels, wgsl, gpujs, ...(module ? { wasm: { module: module.spec, kernels: wasm } } : {}) };
}

function withEntries(pool: KernelPool, fns: Record<string, KernelFn>, planned: PlannedProgram): Program {
  const withKernels = (e: PlannedEntry) => entryWithKernels(pool, fns, e);
  return {
    ...planned,
    entries: {
      predict: withKernels(planned.entries.predict),
      ...(planned.entries.trainStep ? { trainStep: withKernels(planned.entries.trainStep) } : {}),
      ...(planned.entries.evaluate ? { evaluate: withKernels(planned.entries.evaluate) } : {}),
    },
  };
}

/** A ready-to-run trainer program, kernels compiled in process (tests, `dnnc train`). */
export function programFromTrainer(t: TrainerSpec, models: CompiledModel[], options: PlanOptions = {}): TrainerProgram {
  const pool = new KernelPool();
  const planned = planTrainer(t, models, pool, options);
  const fns = compileKernels(pool.kernels) as unknown as Record<string, KernelFn>;
  return {
    ...planned,
    models: planned.models.map((m) => withEntries(pool, fns, m)),
    steps: planned.steps.map((s) => ({ ...s, entry: entryWithKernels(pool, fns, s.entry) })),
  };
}

/**
 * A ready-to-run program without writing a module: kernels compiled in
 * process (tests, `dnnc train`). Same code as the emitted module runs.
 */
export function programFromModel(model: CompiledModel, options: PlanOptions = {}): Program {
  const pool = new KernelPool();
  const planned = planModel(model, pool, options);
  const fns = compileKernels(pool.kernels) as unknown as Record<string, KernelFn>;
  return withEntries(pool, fns, planned);
}
