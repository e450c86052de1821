/**
 * Which ops of a model have no kernel for a backend: the webgpu backend
 * refuses such a model (never a silent CPU fallback); `dnnc check/compile`
 * can report the list as a diagnostic when asked for that backend.
 */
import type { CompiledModel } from '../../compiler/compiled.js';
import type { Graph } from '../../compiler/ir.js';
import { hasWgsl } from './kernel.js';

export interface MissingKernel {
  op: string;
  /** how many nodes use it, over all entries of the model */
  count: number;
  /** scope of the first node using it (e.g. "LeNet.conv_1"), for the message */
  scope?: string;
}

/** Ops used by the model's graphs (predict, trainStep, evaluate) that `backend` has no kernel for; [] when it runs everything. */
export function missingKernels(model: CompiledModel, backend: 'webgpu' | 'cpu'): MissingKernel[] {
  if (backend === 'cpu') return [];
  const graphs: Graph[] = [model.predict, ...(model.train ? [model.train.step, model.train.evaluate] : [])];
  const found = new Map<string, MissingKernel>();
  for (const g of graphs)
    for (const n of g.nodes) {
      if (hasWgsl(n.op)) continue;
      const m = found.get(n.op);
      if (m) m.count++;
      else found.set(n.op, { op: n.op, count: 1, ...(n.scope ? { scope: n.scope } : {}) });
    }
  return [...found.values()];
}
