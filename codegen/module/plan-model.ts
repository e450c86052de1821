/**
 * From a CompiledModel to a program (runtime/program.ts): the CPU plan of
 * each entry, with kernels shared through a pool that de-duplicates
 * identical kernels (the forward kernels of predict, trainStep and evaluate
 * are usually the same code) and keeps names unique within a module.
 */
import type { CompiledModel } from '../../compiler/compiled.js';
import type { Program, ProgramEntry } from '../../runtime/program.js';
import type { KernelFn } from '../../runtime/program.js';
import { compileKernels, type CpuKernelSource } from '../cpu/kernel.js';
import { planCpuEntry } from '../cpu/plan.js';

export type EntryName = 'predict' | 'trainStep' | 'evaluate';
/** an entry without kernel functions; `notes` (not part of the program) name the values each step reads and writes */
export type PlannedEntry = Omit<ProgramEntry, 'kernels'> & { notes?: string[] };
export type PlannedProgram = Omit<Program, 'entries'> & { entries: { predict: PlannedEntry; trainStep?: PlannedEntry; evaluate?: PlannedEntry } };

/** Unique kernels of a module: identical code is kept once, distinct code under distinct names. */
export class KernelPool {
  private byCode = new Map<string, CpuKernelSource>();
  private names = new Set<string>();
  readonly kernels: CpuKernelSource[] = [];

  /** Add a kernel; returns the name to call it by. */
  add(k: CpuKernelSource): string {
    const code = `${k.ins.join(',')}|${k.outs.join(',')}|${k.body}`;
    const hit = this.byCode.get(code);
    if (hit) return hit.name;
    let name = k.name;
    for (let i = 2; this.names.has(name); i++) name = `${k.name}_${i}`;
    const kernel = { ...k, name };
    this.names.add(name);
    this.byCode.set(code, kernel);
    this.kernels.push(kernel);
    return name;
  }
}

export function signatureOf(model: CompiledModel): Program['signature'] {
  return { inputs: model.inputs, outputs: model.outputs, trainInputs: model.train?.trainInputs ?? [] };
}

/** Plan every entry of a model; kernels go into `pool`. */
export function planModel(model: CompiledModel, pool: KernelPool): PlannedProgram {
  const entry = (g: Parameters<typeof planCpuEntry>[0]): PlannedEntry => {
    const plan = planCpuEntry(g);
    const rename = new Map(plan.kernels.map((k) => [k.name, pool.add(k)]));
    return { ...plan.entry, steps: plan.entry.steps.map((s) => ({ ...s, kernel: rename.get(s.kernel)! })), notes: plan.notes };
  };
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
            ...(t.seed !== undefined ? { seed: t.seed } : {}),
          },
        }
      : {}),
  };
}

/**
 * A ready-to-run program without writing a module: kernels compiled in
 * process (tests, `dnnc train`). Same code as the emitted module runs.
 */
export function programFromModel(model: CompiledModel): Program {
  const pool = new KernelPool();
  const planned = planModel(model, pool);
  const fns = compileKernels(pool.kernels) as unknown as Record<string, KernelFn>;
  const withKernels = ({ notes: _notes, ...e }: PlannedEntry): ProgramEntry => {
    const kernels: Record<string, KernelFn> = {};
    for (const s of e.steps) kernels[s.kernel] = fns[s.kernel];
    return { ...e, kernels };
  };
  return {
    ...planned,
    entries: {
      predict: withKernels(planned.entries.predict),
      ...(planned.entries.trainStep ? { trainStep: withKernels(planned.entries.trainStep) } : {}),
      ...(planned.entries.evaluate ? { evaluate: withKernels(planned.entries.evaluate) } : {}),
    },
  };
}
