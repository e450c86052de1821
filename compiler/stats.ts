/**
 * Compile-time figures of each entry point: kernel dispatches per call and
 * the planned arena size at a batch size (`dnnc stats`).
 */
import type { CompiledModel } from './compiled.js';
import type { Graph } from './ir.js';
import { fuseGraph } from './passes/fuse.js';
import { planMemory } from './passes/plan-memory.js';

export interface EntryStats {
  dispatches: number;
  /** temporaries at the stated batch size (inputs, parameters and optimizer state excluded) */
  peakBytes: number;
  /** parameters, model state and optimizer state */
  persistentBytes: number;
}

export function entryStats(g: Graph, options: { optimize: boolean; dims: Record<string, number> }): EntryStats {
  const fusion = fuseGraph(g, { enabled: options.optimize });
  const memory = planMemory(g, fusion, { reuse: options.optimize });
  let persistent = 0;
  for (const n of g.nodes)
    if (n.op === 'param' || n.op === 'state') persistent += (n.outputs[0].type.shape as number[]).reduce((a, b) => a * b, 1) * 4;
  return { dispatches: fusion.dispatches, peakBytes: memory.bytesAt(options.dims), persistentBytes: persistent };
}

export function modelStats(m: CompiledModel, options: { optimize: boolean; dims: Record<string, number> }): Record<string, EntryStats> {
  const out: Record<string, EntryStats> = { predict: entryStats(m.predict, options) };
  if (m.train) {
    out.trainStep = entryStats(m.train.step, options);
    out.evaluate = entryStats(m.train.evaluate, options);
  }
  return out;
}
