/** Trainers: train blocks over several models and steps, run on the CPU. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { emitModule } from '../../codegen/module/index.js';
import { programFromTrainer } from '../../codegen/module/plan-model.js';
import { compileSource } from '../../compiler/compile.js';
import { instantiateTrainer } from '../../runtime/trainer.js';
import type { Trainer } from '../../runtime/types.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

async function trainer(src: string, seed = 1): Promise<Trainer> {
  const r = compileSource(src, 't.dnn', { verify: true });
  assert.equal(r.diagnostics.map((d) => d.message), []);
  const f = r.file!;
  return instantiateTrainer(programFromTrainer(f.trainers![0], f.models), { seed });
}

const gan = `
model G { input z: f32[B, 4]  output x: f32[B, 2]  x = z |> dense(16) |> relu |> dense(2) }
model D { input x: f32[B, 2]  output s: f32[B, 1]  s = x |> dense(16) |> leaky_relu(0.2) |> dense(1) }
train GAN {
  real : f32[B, 2]
  batch = 16
  step disc {
    loss = bce_with_logits(D(real), ones) + bce_with_logits(D(stop_gradient(G(noise(B, 4)))), zeros)
    optimizer = adam(lr: 1e-2, beta1: 0.5) on D
  }
  step gen {
    loss = bce_with_logits(D(G(noise(B, 4))), ones)
    optimizer = adam(lr: 1e-2, beta1: 0.5) on G
  }
}`;

test('GAN steps update only their own model; models see the shared weights', async () => {
  const t = await trainer(gan);
  assert.equal(Object.keys(t.steps), ['disc', 'gen']);
  assert.equal(Object.keys(t.models).sort(), ['D', 'G']);
  assert.equal(t.stepInputs.disc.map((i) => i.name), ['real']);
  // the block's declared inputs reach every step: they also bind the batch size of in-graph noise
  assert.equal(t.stepInputs.gen.map((i) => i.name), ['real']);
  const w0 = t.getWeights();
  const real = Float32Array.from({ length: 32 }, (_, i) => Math.cos(i));
  const r = await t.steps.disc({ real });
  assert.ok(Number.isFinite(r.loss));
  const w1 = t.getWeights();
  const changed = (a: typeof w0, b: typeof w0, prefix: string) => Object.keys(a).filter((k) => k.startsWith(prefix)).some((k) => a[k].some((v, i) => v !== b[k][i]));
  assert.ok(changed(w0, w1, 'D.'), 'the discriminator step trains D');
  assert.not.ok(changed(w0, w1, 'G.'), 'the discriminator step leaves G alone');
  await t.steps.gen({ real });
  const w2 = t.getWeights();
  assert.ok(changed(w1, w2, 'G.'));
  assert.not.ok(changed(w1, w2, 'D.'));
  // the model objects read the trainer's weights
  const out = await t.models.G.predict({ z: new Float32Array(8) });
  assert.equal(out.x.shape, [2, 2]);
  const g = t.models.G.getWeights();
  assert.equal(Array.from(g['G.dense_1.weight']), Array.from(w2['G.dense_1.weight']));
  t.dispose();
});

test('fit runs every step on every batch and reports each loss', async () => {
  const t = await trainer(gan);
  const n = 64;
  const real = Float32Array.from({ length: n * 2 }, (_, i) => (i % 2 ? 1 : -1) + 0.1 * Math.sin(i));
  const res = await t.fit({ name: 'ring', size: n, fields: { real: { dtype: 'f32', sampleShape: [2], data: real } } }, { epochs: 2 });
  assert.is(res.epochs, 2);
  assert.ok('disc_loss' in res.metrics && 'gen_loss' in res.metrics, JSON.stringify(res.metrics));
  t.dispose();
});

test('DQN: the target network follows the online one every N steps (hard) or by tau (soft)', async () => {
  const src = (sync: string) => `model Q { input obs: f32[B, 4]  output q: f32[B, 2]  q = obs |> dense(8) |> relu |> dense(2) }
    train DQN on Q { action: i32[B]  target: f32[B]  loss = huber(q[action], target)  optimizer = sgd(lr: 0.1)  ${sync} }`;
  const batch = { obs: Float32Array.from({ length: 16 }, (_, i) => Math.sin(i)), action: Int32Array.from([0, 1, 1, 0]), target: Float32Array.from([1, -1, 0.5, 2]) };
  const hard = await trainer(src('sync Q -> QT every 3 steps'));
  assert.equal(Object.keys(hard.models).sort(), ['Q', 'QT']);
  const w = () => hard.getWeights();
  const same = () => Array.from(w()['QT.dense_1.weight']).every((v, i) => v === w()['Q.dense_1.weight'][i]);
  assert.ok(same(), 'the target network starts as a copy of the online one');
  await hard.steps.step(batch);
  await hard.steps.step(batch);
  assert.not.ok(same(), 'no sync before the 3rd step');
  await hard.steps.step(batch);
  assert.ok(same(), 'synced at the 3rd step');
  await hard.steps.step(batch);
  assert.not.ok(same());
  hard.dispose();

  const soft = await trainer(src('sync Q -> QT every 1 steps tau: 0.5'));
  const before = soft.getWeights();
  await soft.steps.step(batch);
  const after = soft.getWeights();
  const i = 3;
  const want = 0.5 * after['Q.dense_1.weight'][i] + 0.5 * before['QT.dense_1.weight'][i];
  assert.ok(Math.abs(after['QT.dense_1.weight'][i] - want) < 1e-6);
  soft.dispose();
});

test('a generated module exposes the trainer, its models and steps', async () => {
  const r = compileSource(gan, 'gan.dnn', { verify: true });
  const dir = join(root, 'test/.out/trainer');
  mkdirSync(dir, { recursive: true });
  const { files } = emitModule(r.file!, { emit: 'ts', sourceName: 'gan', runtimeImport: '../../../runtime/index.js' });
  const path = join(dir, files[0].name);
  writeFileSync(path, files[0].text);
  assert.match(files[0].text, 'export async function createGAN(options: CreateOptions = {}): Promise<Trainer>');
  assert.match(files[0].text, "steps 'disc' (trains D), 'gen' (trains G)");
  const mod = (await import(pathToFileURL(path).href)) as { create(o?: { seed?: number }): Promise<Trainer> };
  const t = await mod.create({ seed: 2 });
  const res = await t.steps.disc({ real: new Float32Array(8) });
  assert.ok(Number.isFinite(res.loss));
  assert.equal((await t.models.G.predict({ z: new Float32Array(4) })).x.shape, [1, 2]);
  t.dispose();
});

test.run();
