/**
 * The figures of each entry point as the backends will run it (`dnnc stats`):
 * kernel calls per step (the CPU's kernel calls; WebGPU records one dispatch
 * per pass of each kernel), and the planned bytes of temporaries and of the
 * CPU kernels' scratch at a batch size, read off the same plan the generated
 * module embeds.
 */
import type { CompiledFile } from '../compiler/compiled.js';
import { dimSymbols, evalDim, evalShape } from '../compiler/dims.js';
import type { Graph } from '../compiler/ir.js';
import { KernelPool, planEntry } from './module/plan-model.js';

export interface EntryStats {
  /** kernel launches per call (CPU kernel calls; constant fills computed once are not counted) */
  dispatches: number;
  /** compute passes WebGPU records per call (a fused group with a matmul and an epilogue is two); absent when some op lacks WGSL */
  webgpuDispatches?: number;
  /** temporaries at the stated batch size (inputs, parameters and optimizer state excluded) */
  peakBytes: number;
  /** the CPU kernels' scratch at the stated batch size (packing panels, float64 accumulators; one thread's), planned with the temporaries */
  scratchBytes: number;
  /** parameters, model state and optimizer state */
  persistentBytes: number;
}

const BYTES = { f32: 4, i32: 4, bool: 1 } as const;

export function entryStats(g: Graph, options: { optimize: boolean; batch: number }): EntryStats {
  const pool = new KernelPool();
  const entry = planEntry(g, pool, options.optimize ? {} : { fuse: false, reuse: false });
  const dims: Record<string, number> = {};
  for (const b of entry.buffers) for (const d of b.shape) for (const sym of dimSymbols(d)) dims[sym] = options.batch;
  for (const sc of entry.scratch ?? []) for (const sym of dimSymbols(sc.size)) dims[sym] = options.batch;
  const bytes = (kinds: string[]) =>
    entry.buffers.filter((b) => kinds.includes(b.kind)).reduce((sum, b) => sum + evalShape(b.shape, dims).reduce((x, y) => x * y, 1) * BYTES[b.dtype], 0);
  const launched = entry.steps.filter((s) => !s.once);
  // a packed multi-tensor kernel is one dispatch (its operands are co-located by the plan's packs and the store arena)
  const passes = launched.map((s) => {
    const w = pool.wgsl.get(s.kernel);
    return w && (w.packed ? 1 : w.passes.length);
  });
  return {
    dispatches: launched.length,
    ...(passes.every((p) => p !== undefined) ? { webgpuDispatches: passes.reduce((a, b) => a! + b!, 0) } : {}),
    peakBytes: bytes(['temp']),
    scratchBytes: (entry.scratch ?? []).reduce((sum, sc) => sum + evalDim(sc.size, dims) * (sc.dtype === 'f64' ? 8 : 4), 0),
    persistentBytes: bytes(['param', 'state']),
  };
}

/** Stats of every entry point of every model and train step of a file. */
export function fileStats(file: CompiledFile, options: { optimize: boolean; batch: number }): Record<string, Record<string, EntryStats>> {
  const out: Record<string, Record<string, EntryStats>> = {};
  for (const m of file.models) {
    const e: Record<string, EntryStats> = { predict: entryStats(m.predict, options) };
    if (m.train) {
      e.trainStep = entryStats(m.train.step, options);
      e.evaluate = entryStats(m.train.evaluate, options);
    }
    out[m.name] = e;
  }
  for (const t of file.trainers ?? []) out[t.name] = Object.fromEntries(t.steps.map((s) => [s.name, entryStats(s.graph, options)]));
  return out;
}
