/**
 * Trainers (several models and steps in one train block) on the GPU
 * backends: a small GAN with in-graph noise and a DQN with soft syncs take
 * the same steps on cpu, webgpu and gpujs (cpu mode): losses, weights, and
 * target networks that follow the online ones through device buffers.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { programFromTrainer } from '../../codegen/module/plan-model.js';
import { compileSource } from '../../compiler/compile.js';
import { instantiateTrainer } from '../../runtime/trainer.js';
import type { CreateOptions, Trainer } from '../../runtime/types.js';
import { assertClose, haveWebGpu } from './helpers.js';

const gan = `
model G { input z: f32[B, 4]  output x: f32[B, 2]  x = z |> dense(8) |> relu |> dense(2) }
model D { input x: f32[B, 2]  output s: f32[B, 1]  s = x |> dense(8) |> leaky_relu(0.2) |> dense(1) }
train GAN {
  real : f32[B, 2]
  step disc {
    loss = bce_with_logits(D(real), ones) + bce_with_logits(D(stop_gradient(G(noise(B, 4)))), zeros)
    optimizer = adam(lr: 1e-2, beta1: 0.5) on D
  }
  step gen {
    loss = bce_with_logits(D(G(noise(B, 4))), ones)
    optimizer = adam(lr: 1e-2, beta1: 0.5) on G
  }
}`;

const dqn = `model Q { input obs: f32[B, 4]  output q: f32[B, 2]  q = obs |> dense(8) |> relu |> dense(2) }
train DQN on Q { action: i32[B]  target: f32[B]  loss = huber(q[action], target)  optimizer = adam(lr: 0.01)
  sync Q -> QT every 2 steps tau: 0.5 }`;

async function make(src: string, options: CreateOptions): Promise<Trainer> {
  const r = compileSource(src, 't.dnn');
  assert.equal(r.diagnostics.map((d) => d.message), []);
  return instantiateTrainer(programFromTrainer(r.file!.trainers![0], r.file!.models), { seed: 3, ...options });
}

async function agree(src: string, run: (t: Trainer) => Promise<number[]>, backends: CreateOptions[]) {
  const ref = await make(src, { backend: 'cpu' });
  const want = await run(ref);
  const wantW = ref.getWeights();
  ref.dispose();
  for (const b of backends) {
    const t = await make(src, b);
    assert.is(t.backend, b.backend);
    const got = await run(t);
    assertClose(got, want, `${b.backend} losses`);
    const w = await t.readWeights();
    for (const k of Object.keys(wantW)) assertClose(w[k], wantW[k], `${b.backend} ${k}`, 1e-3);
    t.dispose();
  }
}

test('a GAN trainer (noise in the graph, two steps) on webgpu and gpujs matches the cpu', async () => {
  const backends: CreateOptions[] = [{ backend: 'gpujs', gpujs: { mode: 'cpu' } }];
  if (await haveWebGpu()) backends.push({ backend: 'webgpu' });
  const real = Float32Array.from({ length: 12 }, (_, i) => Math.sin(i));
  await agree(
    gan,
    async (t) => {
      const losses: number[] = [];
      for (let s = 0; s < 3; s++) for (const step of ['disc', 'gen']) losses.push((await t.steps[step]({ real })).loss);
      return losses;
    },
    backends,
  );
});

test('DQN soft syncs move the target network through device buffers like on the cpu', async () => {
  const backends: CreateOptions[] = [{ backend: 'gpujs', gpujs: { mode: 'cpu' } }];
  if (await haveWebGpu()) backends.push({ backend: 'webgpu' });
  const batch = { obs: Float32Array.from({ length: 16 }, (_, i) => Math.cos(i)), action: Int32Array.of(0, 1, 1, 0), target: Float32Array.of(1, -1, 0.5, 2) };
  await agree(
    dqn,
    async (t) => {
      const losses: number[] = [];
      for (let s = 0; s < 4; s++) losses.push((await t.steps.step(batch)).loss);
      // the target network's predictions after two soft syncs
      const q = await t.models.QT.predict({ obs: batch.obs });
      return [...losses, ...q.q.data];
    },
    backends,
  );
});

test.run();
