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
import * as leaves from '../../compiler/ops/leaves.js';
import * as unary from '../../compiler/ops/unary.js';
import * as binary from '../../compiler/ops/binary.js';
import * as reduce from '../../compiler/ops/reduce.js';
import * as shape from '../../compiler/ops/shape.js';
import * as linalg from '../../compiler/ops/linalg.js';
import type { OpDef } from '../../compiler/ops/types.js';
import { programFromModel } from '../../codegen/module/plan-model.js';
import { hasGpujs } from '../../codegen/gpujs/index.js';
import { instantiate } from '../../runtime/index.js';
import type { TypedArray } from '../../runtime/types.js';
import { oneNodeModel, rng, sameTensor, sampleData, symbolicShapes } from './helpers.js';

async function compare(model: CompiledModel, feed: Record<string, { data: TypedArray; shape: number[] }>, label: string): Promise<void> {
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

let cases = 0;
for (const def of allOps()) {
  if (def.kind === 'leaf' || !hasGpujs(def.name)) continue;
  def.samples.forEach((sample, si) => {
    const label = `${def.name} #${si}${sample.note ? ` (${sample.note})` : ''}`;
    test(`gpujs = cpu: ${label}`, async () => {
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

test('registry: every op of leaves/unary/binary/reduce/shape/linalg has a gpu.js kernel; others lacking one are reported', () => {
  const mine = new Set<string>();
  for (const family of [leaves, unary, binary, reduce, shape, linalg])
    for (const v of Object.values(family) as unknown[])
      if (v && typeof v === 'object' && typeof (v as OpDef).name === 'string' && typeof (v as OpDef).infer === 'function') mine.add((v as OpDef).name);
  const missing = allOps()
    .filter((d) => !hasGpujs(d.name))
    .map((d) => d.name);
  console.log(`\n  ops without a gpu.js kernel (${missing.length}): ${missing.join(', ') || 'none'}`);
  const unexpected = missing.filter((m) => mine.has(m));
  assert.equal(unexpected, [], `ops of leaves/unary/binary/reduce/shape/linalg lack a gpu.js kernel: ${unexpected.join(', ')}`);
});

test('every op with a gpu.js kernel ran', () => {
  assert.ok(cases > 40, `only ${cases} cases ran`);
});

test.run();
