/**
 * Which ops of a compiled file a GPU backend cannot run, as located
 * diagnostics (`dnnc check/compile --backend webgpu|gpujs`): asked for a
 * backend, the compiler says so before anything runs, instead of the runtime
 * refusing the model later (it never falls back silently).
 */
import type { CompiledFile } from '../compiler/compiled.js';
import { makeDiagnostic, type Diagnostic } from '../compiler/diagnostics.js';
import type { Graph } from '../compiler/ir.js';
import { syntheticSpan } from '../grammar/span.js';
import { hasGpujs } from './gpujs/kernel.js';
import { hasWgsl } from './wgsl/kernel.js';

export type BackendChoice = 'cpu' | 'webgpu' | 'gpujs' | 'auto';

const LEAVES = new Set(['input', 'param', 'state']);

/** One diagnostic per op and model (or trainer) that `backend` has no kernel for, at the first place the op comes from. */
export function backendDiagnostics(file: CompiledFile, backend: BackendChoice): Diagnostic[] {
  if (backend === 'cpu' || backend === 'auto') return [];
  const has = backend === 'webgpu' ? hasWgsl : hasGpujs;
  const owners: { name: string; graphs: Graph[] }[] = [
    ...file.models.map((m) => ({ name: m.name, graphs: [m.predict, ...(m.train ? [m.train.step, m.train.evaluate] : [])] })),
    ...(file.trainers ?? []).map((t) => ({ name: t.name, graphs: t.steps.map((s) => s.graph) })),
  ];
  const out: Diagnostic[] = [];
  for (const o of owners) {
    const seen = new Set<string>();
    for (const g of o.graphs)
      for (const n of g.nodes) {
        if (LEAVES.has(n.op) || has(n.op) || seen.has(n.op)) continue;
        seen.add(n.op);
        // the layer the op comes from (gradient nodes carry their forward layer's scope + '.grad')
        const layer = n.scope?.replace(/\.grad$/, '').split('.').pop();
        out.push(
          makeDiagnostic('DNN0030', n.span ?? syntheticSpan(file.file), { backend, op: n.op, owner: o.name, from: layer && layer !== o.name ? ` (from ${layer})` : '' }, { help: `run '${o.name}' on the cpu backend, or on ${backend === 'webgpu' ? 'gpujs' : 'webgpu'} if it has the op` }),
        );
      }
  }
  return out;
}
