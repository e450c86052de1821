/**
 * Every op in the registry with a gpu.js renderer, every sample: the gpujs
 * backend (gpu.js cpu mode: plain JS, available in Node) against the cpu
 * backend, same program and inputs, static shapes and with a symbolic
 * leading dim (B) where the shape rule accepts it. Ops without a gpu.js
 * renderer are listed by a registry test: every op of leaves, unary, binary,
 * reduce, shape and linalg must have one.
 * The same kernels run on WebGL2 in Chromium in test/browser.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { CompiledModel } from '../../compiler/compiled.js';
import { allOps } from '../../compiler/ops/index.js';
import { programFromModel } from '../../codegen/module/plan-model.js';
import { hasGpujs } from '../../codegen/gpujs/index.js';
import { instantiate } from '../../runtime/index.js';
import { sameTensor } from './helpers.js';
import { coreFamilyOps, registrySampleTests, type Feed } from '../helpers/registry.js';

async function compare(model: CompiledModel, feed: Feed, label: string): Promise<void> {
  const program = programFromModel(model);
  const cpu = await instantiate(program, { backend: 'cpu' });
  const gj = await instantiate(program, { backend: 'gpujs', gpujs: { mode: 'cpu' } });
  try {
    assert.is(gj.backend, 'gpujs');
    const want = await cpu.predict(feed);
    const got = await gj.predict(feed);
    for (const k of Object.keys(want)) sameTensor(got[k], want[k], `${label} ${k}`);
    const again = await gj.predict(feed);
    for (const k of Object.keys(want)) sameTensor(again[k], want[k], `${label} ${k} (second run)`);
  } finally {
    cpu.dispose();
    gj.dispose();
  }
}

const cases = registrySampleTests('gpujs', hasGpujs, compare);

test('registry: every op of leaves/unary/binary/reduce/shape/linalg has a gpu.js kernel; others lacking one are reported', () => {
  const mine = coreFamilyOps();
  const missing = allOps()
    .filter((d) => !hasGpujs(d.name))
    .map((d) => d.name);
  console.log(`\n  ops without a gpu.js kernel (${missing.length}): ${missing.join(', ') || 'none'}`);
  const unexpected = missing.filter((m) => mine.has(m));
  assert.equal(unexpected, [], `ops of leaves/unary/binary/reduce/shape/linalg lack a gpu.js kernel: ${unexpected.join(', ')}`);
});

test('every op with a gpu.js kernel ran', () => {
  assert.ok(cases() > 40, `only ${cases()} cases ran`);
});

test.run();
