/**
 * Every op in the registry with a WGSL renderer, every sample: the webgpu
 * backend against the cpu backend (same program, same inputs), static shapes
 * and with a symbolic leading dim (B) where the shape rule accepts it.
 * Ops without WGSL are listed by a registry test: every op of leaves, unary,
 * binary, reduce, shape and linalg must have one; ops of the families still
 * being written (conv, pool, random, ...) are reported, not silently skipped.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { CompiledModel } from '../../compiler/compiled.js';
import type { Dim } from '../../compiler/dims.js';
import type { DType } from '../../compiler/ir.js';
import { allOps } from '../../compiler/ops/index.js';
import * as leaves from '../../compiler/ops/leaves.js';
import * as unary from '../../compiler/ops/unary.js';
import * as binary from '../../compiler/ops/binary.js';
import * as reduce from '../../compiler/ops/reduce.js';
import * as shape from '../../compiler/ops/shape.js';
import * as linalg from '../../compiler/ops/linalg.js';
import type { OpDef, OpSample } from '../../compiler/ops/types.js';
import { programFromModel } from '../../codegen/module/plan-model.js';
import { hasWgsl } from '../../codegen/wgsl/index.js';
import { instantiate } from '../../runtime/index.js';
import type { Tensor, TypedArray } from '../../runtime/types.js';
import { assertClose, haveWebGpu, rng } from './helpers.js';
import { oneNodeModel, sampleData } from '../helpers/registry.js';


function symbolicShapes(sample: OpSample): Dim[][] | undefined {
  const ranks = sample.inputs.map((s) => s.shape.length);
  const top = Math.max(...ranks);
  if (top < 1) return undefined;
  const firsts = sample.inputs.filter((s) => s.shape.length === top).map((s) => s.shape[0]);
  if (firsts.some((d) => d !== firsts[0]) || firsts[0] < 2) return undefined;
  return sample.inputs.map((s) => (s.shape.length === top ? ['B', ...s.shape.slice(1)] : [...s.shape]));
}

function same(got: Tensor, want: Tensor, label: string): void {
  assert.equal(got.shape, want.shape, `${label}: shape`);
  assert.is(got.dtype, want.dtype, `${label}: dtype`);
  assertClose(got.data, want.data, label, want.dtype === 'f32' ? 1e-4 : 0);
}

async function compare(model: CompiledModel, feed: Record<string, { data: TypedArray; shape: number[] }>, label: string): Promise<void> {
  const program = programFromModel(model);
  const cpu = await instantiate(program, { backend: 'cpu' });
  const gpu = await instantiate(program, { backend: 'webgpu' });
  try {
    assert.is(gpu.backend, 'webgpu');
    const want = await cpu.predict(feed);
    const got = await gpu.predict(feed);
    for (const k of Object.keys(want)) same(got[k], want[k], `${label} ${k}`);
    // a second run reuses the buffers and gives the same result
    const again = await gpu.predict(feed);
    for (const k of Object.keys(want)) same(again[k], want[k], `${label} ${k} (second run)`);
  } finally {
    cpu.dispose();
    gpu.dispose();
  }
}

let cases = 0;
for (const def of allOps()) {
  if (def.kind === 'leaf' || !hasWgsl(def.name)) continue;
  def.samples.forEach((sample, si) => {
    const label = `${def.name} #${si}${sample.note ? ` (${sample.note})` : ''}`;
    test(`webgpu = cpu: ${label}`, async () => {
      if (!(await haveWebGpu())) return;
      const next = rng(4321 + si);
      const data = sample.inputs.map((s) => sampleData(s, next));
      const feed: Record<string, { data: TypedArray; shape: number[] }> = {};
      data.forEach((d, i) => (feed[`x${i}`] = { data: d.data, shape: d.shape }));
      await compare(oneNodeModel(def, data.map((d) => d.shape), data.map((d) => d.dtype), sample.attrs), feed, `${label} static`);
      cases++;
      const sym = symbolicShapes(sample);
      if (!sym) return;
      let model: CompiledModel;
      try {
        model = oneNodeModel(def, sym, data.map((d) => d.dtype), sample.attrs);
      } catch {
        return; // the shape rule needs static dims here
      }
      await compare(model, feed, `${label} symbolic`);
    });
  });
}

test('registry: every op of the families with WGSL has a kernel; ops of other families lacking one are reported', () => {
  const mine = new Set<string>();
  for (const family of [leaves, unary, binary, reduce, shape, linalg])
    for (const v of Object.values(family) as unknown[])
      if (v && typeof v === 'object' && typeof (v as OpDef).name === 'string' && typeof (v as OpDef).infer === 'function') mine.add((v as OpDef).name);
  const missing = allOps()
    .filter((d) => !hasWgsl(d.name))
    .map((d) => d.name);
  console.log(`\n  ops without WGSL (${missing.length}, from families still being written: conv, pool, random, ...): ${missing.join(', ') || 'none'}`);
  const unexpected = missing.filter((m) => mine.has(m));
  assert.equal(unexpected, [], `ops of leaves/unary/binary/reduce/shape/linalg lack a WGSL kernel: ${unexpected.join(', ')}`);
  assert.ok(mine.size > 40);
});

test('every op with a WGSL kernel ran (when an adapter exists)', async () => {
  if (!(await haveWebGpu())) return;
  assert.ok(cases > 40, `only ${cases} cases ran`);
});

test.run();
