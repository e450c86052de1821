/**
 * Every registry op × every backend: the backend's renderer table has the
 * op, unless the pair is listed in UNSUPPORTED below. Adding an op to the
 * registry without its renderers (or taking one away) fails here, by name.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { allOps, getOp, OP_NAMES, type OpName } from '../../compiler/ops/index.js';
import { cpuRenderers, cpuRenderer } from '../../codegen/cpu/renderers.js';
import { gpujsRenderers } from '../../codegen/gpujs/renderers.js';
import { hasGpujs } from '../../codegen/gpujs/kernel.js';
import { wgslRenderers, wgslRenderer } from '../../codegen/wgsl/renderers.js';
import { hasWgsl } from '../../codegen/wgsl/kernel.js';

type Backend = 'cpu' | 'webgpu' | 'gpujs';

/** The ops a backend has no kernel for (dnnc check --backend reports them, DNN0030). None today. */
const UNSUPPORTED: Record<Backend, OpName[]> = {
  cpu: [],
  webgpu: [],
  gpujs: [],
};

/** the leaves that are buffers, not kernels: every backend binds them */
const BUFFERS = new Set(['input', 'param', 'state']);

function hasCpu(op: string): boolean {
  const def = getOp(op);
  const r = cpuRenderer(op);
  if (BUFFERS.has(op)) return true;
  return Boolean(((def.kind === 'elementwise' || def.kind === 'broadcast') && r?.scalar) || r?.kernel);
}

const supports: Record<Backend, (op: string) => boolean> = { cpu: hasCpu, webgpu: hasWgsl, gpujs: hasGpujs };

test('OP_NAMES lists exactly the registry ops', () => {
  assert.equal([...OP_NAMES].sort(), allOps().map((d) => d.name).sort());
});

test('every op × every backend has a renderer, except the listed pairs', () => {
  const problems: string[] = [];
  for (const backend of Object.keys(supports) as Backend[])
    for (const def of allOps()) {
      const listed = UNSUPPORTED[backend].includes(def.name as OpName);
      const has = supports[backend](def.name);
      if (has && listed) problems.push(`${backend} now has '${def.name}': remove it from UNSUPPORTED`);
      if (!has && !listed) problems.push(`${backend} has no renderer for '${def.name}'`);
    }
  assert.equal(problems, []);
});

test('renderers have the right form: scalars for elementwise ops only, a WGSL sum for contracting ops', () => {
  const problems: string[] = [];
  const tables = { cpu: cpuRenderers, webgpu: wgslRenderers, gpujs: gpujsRenderers } as Record<Backend, Record<string, { scalar?: unknown; kernel?: unknown } | undefined>>;
  for (const def of allOps()) {
    const elementwise = def.kind === 'elementwise' || def.kind === 'broadcast';
    for (const backend of Object.keys(tables) as Backend[]) {
      const r = tables[backend][def.name];
      if (!r) continue;
      if (elementwise && !r.scalar && backend !== 'gpujs') problems.push(`${backend}: '${def.name}' is ${def.kind} but has no scalar expression`);
      if (r.scalar && !elementwise) problems.push(`${backend}: '${def.name}' is ${def.kind} but has a scalar expression`);
    }
    if (def.contracts && !wgslRenderer(def.name)?.sum) problems.push(`webgpu: '${def.name}' contracts inputs but has no sum renderer`);
    if (!def.contracts && wgslRenderer(def.name)?.sum) problems.push(`webgpu: '${def.name}' has a sum renderer but no contracts trait`);
  }
  for (const [backend, table] of Object.entries(tables)) for (const op of Object.keys(table)) if (!OP_NAMES.includes(op as OpName)) problems.push(`${backend}: renderer for unknown op '${op}'`);
  assert.equal(problems, []);
});

test.run();
