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
import { allOps } from '../../compiler/ops/index.js';
import { programFromModel } from '../../codegen/module/plan-model.js';
import { hasWgsl } from '../../codegen/wgsl/index.js';
import { instantiate } from '../../runtime/index.js';
import type { Tensor } from '../../runtime/types.js';
import { assertClose, haveWebGpu } from './helpers.js';
import { coreFamilyOps, registrySampleTests, type Feed } from '../helpers/registry.js';

function same(got: Tensor, want: Tensor, label: string): void {
  assert.equal(got.shape, want.shape, `${label}: shape`);
  assert.is(got.dtype, want.dtype, `${label}: dtype`);
  assertClose(got.data, want.data, label, want.dtype === 'f32' ? 1e-4 : 0);
}

async function compare(model: CompiledModel, feed: Feed, label: string): Promise<void> {
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

const cases = registrySampleTests('webgpu', hasWgsl, compare, haveWebGpu);

test('registry: every op of the families with WGSL has a kernel; ops of other families lacking one are reported', () => {
  const mine = coreFamilyOps();
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
  assert.ok(cases() > 40, `only ${cases()} cases ran`);
});

test.run();
