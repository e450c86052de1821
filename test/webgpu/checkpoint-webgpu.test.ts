/**
 * Checkpoints on webgpu, where the weights live on the device: saving after
 * training reads them back first, loading sends them to the device, and a
 * run stopped, saved and resumed on webgpu ends like an uninterrupted one;
 * a checkpoint moves between webgpu and cpu.
 */
import '../../examples/dnnc.data.js'; // the examples' data sets (loans, ring, the sequence sets)
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileSource } from '../../compiler/compile.js';
import { programFromModel } from '../../codegen/module/plan-model.js';
import { instantiate, readSafetensors } from '../../runtime/index.js';
import type { Dataset } from '../../runtime/types.js';
import { assertClose, haveWebGpu } from './helpers.js';

const program = programFromModel(compileSource(readFileSync(new URL('../../examples/mlp/mlp.dnn', import.meta.url), 'utf8'), 'mlp.dnn').file!.models[0]);
const n = 40;
const data: Dataset = {
  name: 'toy',
  size: n,
  fields: {
    features: { dtype: 'f32', sampleShape: [8], data: Float32Array.from({ length: n * 8 }, (_, i) => Math.sin(i * 0.37)) },
    label: { dtype: 'i32', sampleShape: [], data: Int32Array.from({ length: n }, (_, i) => (Math.sin(i * 2.96) > 0 ? 1 : 0)) },
  },
};
const x = { data: data.fields.features.data.subarray(0, 5 * 8), shape: [5, 8] };

test('save after training on webgpu holds the device\'s weights; they load into cpu and back into webgpu', async () => {
  if (!(await haveWebGpu())) return;
  const gpu = await instantiate(program, { backend: 'webgpu', seed: 3 });
  await gpu.fit(data, { epochs: 1, batchSize: 8 });
  await gpu.trainStep({ features: x, label: [1, 0, 1, 1, 0] }); // bare steps leave the host arrays stale
  const bytes = await gpu.saveCheckpoint();
  const file = readSafetensors(bytes);
  const device = await gpu.readWeights();
  for (const [k, v] of Object.entries(device)) assert.equal(Array.from(file.tensors.get(k)!.data), Array.from(v), k);
  assert.is(file.metadata.step, '6');
  const cpu = await instantiate(program, { backend: 'cpu', weights: bytes });
  const gpu2 = await instantiate(program, { backend: 'webgpu', seed: 99 });
  gpu2.loadCheckpoint(bytes);
  const want = (await gpu.predict({ features: x })).logits.data;
  assertClose((await cpu.predict({ features: x })).logits.data, want, 'cpu with the webgpu checkpoint', 1e-5);
  assert.equal(Array.from((await gpu2.predict({ features: x })).logits.data), Array.from(want), 'webgpu after loadCheckpoint');
  // both continue training identically from the checkpoint: the optimizer state went to the device too
  const batch = { features: x, label: [0, 1, 1, 0, 1] };
  const a = await gpu.trainStep(batch);
  const b = await gpu2.trainStep(batch);
  assert.is(b.loss, a.loss);
  const wa = await gpu.readWeights();
  const wb = await gpu2.readWeights();
  for (const k of Object.keys(wa)) assert.equal(Array.from(wb[k]), Array.from(wa[k]), `after one more step: ${k}`);
  for (const m of [gpu, cpu, gpu2]) m.dispose();
});

test('a webgpu fit stopped mid-epoch and resumed from its checkpoint ends like the uninterrupted one', async () => {
  if (!(await haveWebGpu())) return;
  const full = await instantiate(program, { backend: 'webgpu', seed: 5 });
  await full.fit(data, { epochs: 2, batchSize: 8 });
  const want = await full.readWeights();
  full.dispose();
  const first = await instantiate(program, { backend: 'webgpu', seed: 5 });
  await first.fit(data, { epochs: 2, batchSize: 8, onBatch: (p) => (p.step === 7 ? false : undefined) });
  const ckpt = await first.saveCheckpoint();
  first.dispose();
  const second = await instantiate(program, { backend: 'webgpu', seed: 1 });
  const info = second.loadCheckpoint(ckpt);
  assert.equal([info.epoch, info.batch], [1, 2]);
  await second.fit(data, { epochs: 2, batchSize: 8, initialEpoch: info.epoch, initialBatch: info.batch });
  const got = await second.readWeights();
  for (const k of Object.keys(want)) assert.equal(Array.from(got[k]), Array.from(want[k]), k);
  second.dispose();
});

test.run();
