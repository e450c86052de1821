/**
 * LeNet-5 (bench/models/lenet5.dnn: conv 5x5 same, relu, maxpool, conv 5x5,
 * relu, maxpool, three dense layers) on webgpu against cpu: every op of its
 * predict and training graphs has a WGSL kernel, predict agrees, and 5 Adam
 * steps give the same losses, weights and predictions after training.
 * Batch 4 and seeded inputs keep it fast on SwiftShader.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileSource } from '../../compiler/compile.js';
import { programFromModel } from '../../codegen/module/plan-model.js';
import { missingKernels } from '../../codegen/wgsl/index.js';
import { fileStats } from '../../codegen/stats.js';
import { instantiate } from '../../runtime/index.js';
import { assertClose, haveWebGpu, rng } from './helpers.js';

const FILE = 'bench/models/lenet5.dnn';
const B = 4;

function lenet() {
  const res = compileSource(readFileSync(FILE, 'utf8'), FILE);
  assert.equal(res.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  return res.file!.models.find((m) => m.train)!;
}

function images(seed: number): Float32Array {
  const next = rng(seed);
  return Float32Array.from({ length: B * 28 * 28 }, () => next());
}

function labels(seed: number): Int32Array {
  const next = rng(seed);
  return Int32Array.from({ length: B }, () => Math.floor(next() * 10));
}

test('LeNet-5: every op of predict and trainStep has a WGSL kernel', () => {
  assert.equal(missingKernels(lenet(), 'webgpu'), []);
});

test('LeNet-5: predict and 5 adam steps agree on cpu and webgpu', async () => {
  if (!(await haveWebGpu())) return;
  const program = programFromModel(lenet());
  const cpu = await instantiate(program, { backend: 'cpu', seed: 5 });
  const gpu = await instantiate(program, { backend: 'webgpu', seed: 5 });
  try {
    assert.is(gpu.backend, 'webgpu');
    const image = { data: images(1), shape: [B, 1, 28, 28] };
    assertClose((await gpu.predict({ image })).logits.data, (await cpu.predict({ image })).logits.data, 'predict logits', 1e-4);
    const lc: number[] = [];
    const lg: number[] = [];
    for (let s = 0; s < 5; s++) {
      const batch = { image: { data: images(10 + s), shape: [B, 1, 28, 28] }, label: labels(20 + s) };
      lc.push((await cpu.trainStep(batch)).loss);
      lg.push((await gpu.trainStep(batch)).loss);
    }
    assertClose(lg, lc, 'losses of 5 adam steps', 1e-4);
    // the step ran as planned: one launch per kernel, the Adam update of all 10 tensors one packed dispatch
    const prepared = (gpu as unknown as { entries: { trainStep: { prepared: { dispatchCount(): number } } } }).entries.trainStep.prepared;
    const planned = fileStats(compileSource(readFileSync(FILE, 'utf8'), FILE).file!, { optimize: true, batch: B }).LeNet.trainStep;
    assert.is(prepared.dispatchCount(), planned.webgpuDispatches);
    assert.is(planned.webgpuDispatches, planned.dispatches);
    assert.ok(planned.dispatches <= 24, `LeNet trainStep: ${planned.dispatches} dispatches (target 24)`);
    const wc = cpu.getWeights();
    const wg = await gpu.readWeights();
    // Adam divides by sqrt(v): a weight whose gradient is ~0 may move by lr either way; 1e-3 is a tenth of lr
    for (const path of Object.keys(wc)) assertClose(wg[path], wc[path], `weights ${path}`, 1e-3);
    const after = { data: images(2), shape: [B, 1, 28, 28] };
    assertClose((await gpu.predict({ image: after })).logits.data, (await cpu.predict({ image: after })).logits.data, 'predict after training', 1e-3);
  } finally {
    cpu.dispose();
    gpu.dispose();
  }
});

test.run();
